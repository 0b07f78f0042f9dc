/**
 * The node's network namespaces and what SMC sees inside each. smc_diag lists only the sockets of the caller's
 * namespace, and net.smc.* sysctls are per namespace, so both are read from inside: one `nsenter --net=…` per
 * namespace runs a tiny sh that prints tcp2smc (a shell builtin read, no extra process) and then execs
 * `smcss -a -W`. Discovery reads /proc, /run/netns and /var/log/pods directly (no process at all).
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { Deadline } from '../core/deadline.js';
import { netnsInode, netnsTargets, podFromLogDir, podUidFromCgroup, type NetnsTarget } from '../core/netns.js';
import type { ProcessNetns, PodName } from '../core/netns.js';
import { ToolOutputError } from '../core/iproute-json.js';
import { parseSmcss, smcDiagMissing, splitNetnsOutput, type SmcSocket } from '../core/smcss.js';
import { ExitError } from '../exit-codes.js';
import { firstLine, type Runner } from './runner.js';
import { netnsSysPath } from './sysroot.js';

/** smcss reads one netlink dump: seconds at most, even with many sockets; a hung one is killed after this. */
const SMCSS_TIMEOUT_MS = 20_000;
const TCP2SMC = '/proc/sys/net/smc/tcp2smc';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended, or is not ours to read
  }
}

function linkInode(path: string): number | undefined {
  try {
    return netnsInode(readlinkSync(path));
  } catch {
    return undefined; // ended, or (briefly, while it exits or execs) not readable
  }
}

/** The namespace a path enters: a /proc ns link, or an `ip netns` bind mount; undefined when it is gone. */
function pathInode(path: string): number | undefined {
  if (path.startsWith('/proc/')) return linkInode(path);
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** kubelet's pod log directories: the only place on a node that maps a pod UID to its namespace and name. */
function podLogDirs(): PodName[] {
  try {
    return readdirSync('/var/log/pods').flatMap((d) => podFromLogDir(d) ?? []);
  } catch {
    return [];
  }
}

/** `ip netns` names: /run/netns/<name>, each an nsfs bind mount whose inode is the namespace's. */
function namedNetns(): { name: string; netns: number }[] {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const st = statSync(`/run/netns/${name}`);
      // An unmounted placeholder is an empty regular file on /run's own filesystem, not a namespace.
      return st.dev === statSync('/run/netns').dev ? [] : [{ name, netns: st.ino }];
    } catch {
      return [];
    }
  });
}

/**
 * Every network namespace with a process in it (or an `ip netns` name), attributed to its pod where a process's
 * cgroup says so. Reading other users' /proc/<pid>/ns/net and entering namespaces needs root: callers ask the
 * executor for it first (an unprivileged list would silently miss every pod).
 */
export function listNetns(): NetnsTarget[] {
  // PID 1's namespace is the host's; where even root may not look at PID 1 (a sandbox), ours.
  const host = linkInode('/proc/1/ns/net') ?? linkInode('/proc/self/ns/net') ?? 0;
  const processes: ProcessNetns[] = [];
  const attributed = new Set<number>([host]);
  const seen = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const netns = linkInode(`/proc/${entry}/ns/net`);
    if (netns === undefined) continue; // ended meanwhile, or a kernel thread's link we cannot read
    const p: ProcessNetns = { pid: Number(entry), netns };
    if (!seen.has(netns)) {
      seen.add(netns);
      p.comm = readText(`/proc/${entry}/comm`)?.trim();
    }
    // One cgroup read per process until its namespace has a pod: pause and app containers share one pod UID.
    if (!attributed.has(netns)) {
      const uid = podUidFromCgroup(readText(`/proc/${entry}/cgroup`) ?? '');
      if (uid !== undefined) {
        p.podUid = uid;
        attributed.add(netns);
      }
    }
    processes.push(p);
  }
  return netnsTargets(processes, namedNetns(), host, podLogDirs());
}

export interface NetnsReading {
  /** net.smc.tcp2smc inside the namespace; undefined when the kernel has no such sysctl. */
  tcp2smc: string | undefined;
  /** `smcss -a -W` inside it; undefined when smcss was not asked for. */
  sockets: SmcSocket[] | undefined;
}

/**
 * `sh -c SCRIPT sh TCP2SMC-PATH [SMCSS]`: prints `tcp2smc <value>` (or `tcp2smc -`), then becomes smcss. The first
 * line also proves nsenter got in: without it, nsenter itself failed (the namespace may have ended).
 */
const SCRIPT =
  // dash's read of a /proc file returns 1 even when it has read the value: go by the value, not the status.
  'v=-; { read -r v < "$1"; } 2>/dev/null; echo "tcp2smc $v"; [ -z "$2" ] || exec "$2" -a -W';

/**
 * Reads one namespace from the inside, trying its paths in turn (a process that ended takes its link with it).
 * undefined: the namespace ended before it could be entered (skipped, not an error).
 */
export async function readNetns(
  runner: Runner,
  target: NetnsTarget,
  o: { smcss?: string; deadline: Deadline; sysctl?: string },
): Promise<NetnsReading | undefined> {
  // `sysctl`: another per-namespace sysctl in place of tcp2smc (tests on a kernel without SMC).
  const sysctl = o.sysctl ?? TCP2SMC;
  const tcp2smc = netnsSysPath(target.kind === 'host' ? undefined : target.netns, sysctl);
  for (const path of target.paths) {
    const args = [`--net=${path}`, '--', 'sh', '-c', SCRIPT, 'sh', tcp2smc, ...(o.smcss ? [o.smcss] : [])];
    const r = await runner.run({ file: 'nsenter', args, timeoutMs: SMCSS_TIMEOUT_MS, deadline: o.deadline });
    const out = splitNetnsOutput(r.stdout);
    if (out === undefined) {
      if (pathInode(path) !== target.netns) continue; // ended (or its pid was reused by another namespace)
      if (/Operation not permitted|Permission denied/.test(r.stderr)) {
        const e: NodeJS.ErrnoException = new Error(`cannot enter ${target.label}'s network namespace: ${firstLine(r)}`);
        e.code = 'EPERM';
        throw e;
      }
      throw new ExitError('missingTool', `nsenter failed for ${target.label}: ${firstLine(r)}`, 'install util-linux');
    }
    if (!o.smcss) return { tcp2smc: out.tcp2smc, sockets: undefined };
    return { tcp2smc: out.tcp2smc, sockets: parseSmcssIn(target, { ...r, stdout: out.rest }) };
  }
  return undefined;
}

function parseSmcssIn(target: NetnsTarget, r: { exitCode: number; stdout: string; stderr: string }): SmcSocket[] {
  if (smcDiagMissing(r)) {
    // Real smcss says only `RTNETLINK answers: Success` here (perror of an errno nobody set): say what it means.
    throw new ExitError(
      'missingTool',
      'smcss cannot list SMC sockets: the kernel has no SMC socket diagnostics (the smc_diag module is not loaded)',
      'modprobe smc_diag',
    );
  }
  if (r.exitCode !== 0) {
    throw new ExitError(
      'missingTool',
      `'smcss -a -W' failed in ${target.label}: ${firstLine(r)}`,
      'check that smc-tools works: smcss -a',
    );
  }
  try {
    return parseSmcss(r.stdout);
  } catch (e) {
    if (e instanceof ToolOutputError) {
      throw new ExitError('missingTool', e.message, 'check that smc-tools works: smcss -a');
    }
    throw e;
  }
}
