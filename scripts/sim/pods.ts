/**
 * A node with pods, for diag and status: real network namespaces play the pods. Everything runs in one fresh
 * network, PID and mount namespace (`unshare`), so the CLI sees only these processes and namespaces:
 *   - the "host" namespace is a new empty one (nothing can reach the metadata server or this machine's links);
 *   - each pod is a process in a network namespace of its own (`unshare --net … sleep`), moved into a real cgroup
 *     (cgroup v2) named as kubelet names it — cgroupfs `kubepods/<qos>/pod<uid>/<container>` or systemd
 *     `kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope` — under a
 *     test directory removed at the end;
 *   - /var/log/pods/<namespace>_<name>_<uid> and an empty /run on tmpfs (private mounts);
 *   - the stand-in smcss answers per namespace ($SIM_SMCSS_NETNS/<inode>), tcp2smc per namespace comes from the
 *     ASM_ERDMA_SYSROOT tree (<root>/netns/<inode>/proc/sys/net/smc/tcp2smc: this kernel has no SMC).
 * Every process started lives in the PID namespace and dies with it; the cgroups are removed after.
 */
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT, STANDIN_BIN } from './sim-node.js';

export const SMC_STANDIN = join(REPO_ROOT, 'scripts/standins/smc');
const PKG = join(REPO_ROOT, 'scripts/standins/packages');
const SYSTEMD = join(REPO_ROOT, 'scripts/standins/systemd');
const CGROUP2_MAGIC = 0x63677270;

export interface SimPod {
  namespace: string;
  name: string;
  /** cgroup driver spelling. */
  driver?: 'cgroupfs' | 'systemd';
  qos?: 'burstable' | 'besteffort' | 'guaranteed';
  /** net.smc.tcp2smc in its namespace (undefined: no such sysctl). */
  tcp2smc?: string;
  /** Socket list for the stand-in smcss (its file format), or undefined for none. */
  sockets?: string;
  /** The stand-in's failure mode in this namespace. */
  fail?: 'hang' | 'nodiag';
  /** kubelet's log directory exists (default true). */
  logDir?: boolean;
  /** Its only process is killed while the first run is past discovery (that run must be `gated`). */
  vanish?: boolean;
}

export interface PodRun {
  args: string[];
  env?: Record<string, string>;
  /** The namespace marked `vanish` ends after this run's discovery, before it can be entered. */
  gated?: boolean;
}

export interface PodNode {
  pods: SimPod[];
  /** Namespaces with a process but no pod cgroup (a CNI helper, say). */
  others?: number;
  hostSockets?: string;
  hostTcp2smc?: string;
  runs: PodRun[];
  env?: Record<string, string>;
}

export interface PodRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time of the CLI run alone, measured inside (ms). */
  ms: number;
}

/** Where cgroup v2 is mounted: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid); undefined: none. */
export function cgroup2Root(): string | undefined {
  for (const dir of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    try {
      if (statfsSync(dir).type === CGROUP2_MAGIC) return dir;
    } catch {
      // not mounted
    }
  }
  return undefined;
}

/** Why pods cannot be simulated here (not root, no cgroup v2, no unshare), or undefined. */
export async function podsUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'simulated pods need root (namespaces, cgroups)';
  if (!cgroup2Root()) return 'simulated pods need cgroup v2 (/sys/fs/cgroup or /sys/fs/cgroup/unified)';
  const r = await execa('unshare', ['--net', '--pid', '--fork', '--mount-proc', 'true'], { reject: false });
  return r.exitCode === 0 ? undefined : `cannot create namespaces: ${String(r.stderr).trim()}`;
}

function cgroupPath(pod: SimPod, uid: string, container: string): string {
  const qos = pod.qos ?? 'burstable';
  if ((pod.driver ?? 'cgroupfs') === 'cgroupfs') {
    return qos === 'guaranteed' ? `kubepods/pod${uid}/${container}` : `kubepods/${qos}/pod${uid}/${container}`;
  }
  const u = uid.replace(/-/g, '_');
  const scope = `cri-containerd-${container}.scope`;
  return qos === 'guaranteed'
    ? `kubepods.slice/kubepods-pod${u}.slice/${scope}`
    : `kubepods.slice/kubepods-${qos}.slice/kubepods-${qos}-pod${u}.slice/${scope}`;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Removes a cgroup tree, deepest first (a cgroup's control files go with its directory). */
function removeCgroup(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeCgroup(join(dir, e));
  rmdirSync(dir);
}

let counter = 0;

/** Starts the pods, runs each CLI invocation in turn, and tears everything down. */
export async function runOnPodNode(node: PodNode): Promise<PodRunResult[]> {
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup v2');
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-pods-'));
  const cg = join(root, `asm-erdma-pods-${process.pid}-${counter++}`);
  const lines = [
    'set -e',
    `D=${q(dir)}`,
    'mount -t tmpfs tmpfs /run',
    'mount -t tmpfs tmpfs /var/log',
    'mkdir -p /var/log/pods /run/netns',
    'mkdir -p "$D/smc" "$D/root/sys/module/smc/parameters" "$D/root/sys/module/smc_diag" "$D/root/proc/sys/net/smc"',
    `mkdir -p ${q(cg)}`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
    'inode() { i=$(readlink "/proc/$1/ns/net"); i=${i#net:[}; echo "${i%]}"; }',
    // One pod: a process in a network namespace of its own, up before we go on (it says so through a FIFO).
    'start() { mkfifo "$D/up"; unshare --net sh -c \'echo up > "$1"; exec sleep 600\' sh "$D/up" & p=$!; ' +
      'read -r _ < "$D/up"; rm "$D/up"; }',
  ];
  if (node.hostTcp2smc !== undefined) {
    writeFileSync(join(dir, 'host-tcp2smc'), `${node.hostTcp2smc}\n`);
    lines.push('cp "$D/host-tcp2smc" "$D/root/proc/sys/net/smc/tcp2smc"');
  }
  if (node.hostSockets !== undefined) {
    writeFileSync(join(dir, 'host-sockets'), node.hostSockets);
    lines.push('cp "$D/host-sockets" "$D/smc/$(inode self)"');
  }
  node.pods.forEach((pod, k) => {
    const uid = randomUUID();
    const path = join(cg, cgroupPath(pod, uid, `c${k}${uid.slice(0, 8)}`));
    lines.push('start', `mkdir -p ${q(path)}`, `echo "$p" > ${q(join(path, 'cgroup.procs'))}`, 'ino=$(inode "$p")');
    if (pod.tcp2smc !== undefined) {
      writeFileSync(join(dir, `tcp2smc-${k}`), `${pod.tcp2smc}\n`);
      const sysctl = '"$D/root/netns/$ino/proc/sys/net/smc"';
      lines.push(`mkdir -p ${sysctl}`, `cp "$D/tcp2smc-${k}" ${sysctl}/tcp2smc`);
    }
    if (pod.sockets !== undefined) {
      writeFileSync(join(dir, `sockets-${k}`), pod.sockets);
      lines.push(`cp "$D/sockets-${k}" "$D/smc/$ino"`);
    }
    if (pod.fail) lines.push(`echo ${pod.fail} > "$D/smc/$ino.fail"`);
    if (pod.logDir ?? true) lines.push(`mkdir -p ${q(`/var/log/pods/${pod.namespace}_${pod.name}_${uid}`)}`);
    if (pod.vanish) lines.push('v=$p');
  });
  for (let k = 0; k < (node.others ?? 0); k++) lines.push('start');
  node.runs.forEach((run, k) => {
    const env = Object.entries(run.env ?? {}).map(([key, value]) => `${key}=${q(value)}`);
    const out = `"$D/run-${k}"`;
    if (run.gated) {
      lines.push('mkdir "$D/gate" && mkfifo "$D/gate/started" "$D/gate/gate"', 'export SIM_SMCSS_GATE="$D/gate"');
    }
    lines.push(
      't0=$(date +%s%N)',
      `env ${env.join(' ')} ${q(process.execPath)} ${q(CLI)} ${run.args.map(q).join(' ')} > ${out}.out 2> ${out}.err &`,
      'c=$!',
    );
    if (run.gated) {
      // diag is past discovery once a stand-in smcss runs: the vanishing pod's process ends then (and is reaped),
      // before any namespace is let through; every slot of the pool is taken, so it cannot have been entered yet.
      lines.push(
        'exec 4< "$D/gate/started"',
        '[ -n "$v" ] && kill "$v" && { wait "$v" || true; }',
        'exec 3> "$D/gate/gate"',
      );
    }
    lines.push('rc=0; wait "$c" || rc=$?', 't1=$(date +%s%N)', `echo "$rc $(( (t1 - t0) / 1000000 ))" > ${out}.rc`);
    if (run.gated) lines.push('exec 3>&- 4<&-', 'unset SIM_SMCSS_GATE');
  });
  const env = {
    PATH: `${SMC_STANDIN}:${PKG}:${SYSTEMD}:${STANDIN_BIN}:/usr/sbin:/usr/bin:/sbin:/bin`,
    ASM_ERDMA_SYSROOT: join(dir, 'root'),
    ASM_ERDMA_RUN_DIR: join(dir, 'run'),
    SIM_SMCSS_NETNS: join(dir, 'smc'),
    SIM_UNAME_R: '5.10.134-17.3.al8.x86_64',
    SIM_PKG_ROOT: join(dir, 'pkgroot'),
    NO_COLOR: '1',
    ...node.env,
  };
  try {
    const unshare = ['--net', '--pid', '--fork', '--mount', '--propagation', 'private', '--mount-proc'];
    const r = await execa('unshare', [...unshare, 'sh', '-c', lines.join('\n')], {
      reject: false,
      env,
      extendEnv: false,
      stdin: 'ignore',
      // A generous bound for a broken harness; every run inside is bounded by the CLI's own deadline.
      timeout: 300_000,
    });
    if (r.exitCode !== 0) throw new Error(`pod node script failed (${r.exitCode}): ${String(r.stderr)}`);
    return node.runs.map((_, k) => {
      const [rc = '1', ms = '0'] = readFileSync(join(dir, `run-${k}.rc`), 'utf8')
        .trim()
        .split(' ');
      const text = (ext: string) => readFileSync(join(dir, `run-${k}.${ext}`), 'utf8').replace(/\n$/, '');
      return { exitCode: Number(rc), stdout: text('out'), stderr: text('err'), ms: Number(ms) };
    });
  } finally {
    // The PID namespace is gone with its init: every pod process has been killed and reaped.
    removeCgroup(cg);
    rmSync(dir, { recursive: true, force: true });
  }
}
