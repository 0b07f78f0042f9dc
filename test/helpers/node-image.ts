/**
 * A real boot of a node image under systemd as PID 1, inside a simulated node's network namespace.
 *
 * - The base image: `mmdebstrap --variant=minbase` of Debian bookworm with systemd, iproute2 and dbus, cached
 *   under /var/cache/asm-erdma-test/nodeimg-<hash of the command> (built in a temp dir, then renamed: a crashed
 *   build is never used). About 30 s on a quiet machine, once.
 * - The node layer, per test run: an overlay over the base into which the release RPM is installed
 *   (`rpm --root --nodeps`), the simulator's stand-in rdma, a stand-in kubelet.service that records `ip -j addr`
 *   when it starts, and `asm-erdma install-service --root`.
 * - A boot: `systemd-nspawn --boot` on an overlay of (node layer, base) with the node's own upper directory, so
 *   what one boot writes (uninstall-service) is there at the next boot, as on a disk. Every mount is made in a
 *   private mount namespace (unshare), so it vanishes with the container; SIGTERM to systemd-nspawn powers off.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT, STANDIN_BIN, type SimNode } from '../../scripts/sim/sim-node.js';

export const IMAGE_PACKAGES = ['systemd', 'systemd-sysv', 'iproute2', 'dbus'];
const SUITE = 'bookworm';
const CACHE = process.env.ASM_ERDMA_TEST_CACHE ?? '/var/cache/asm-erdma-test';
const TOOLS = ['mmdebstrap', 'systemd-nspawn', 'nsenter', 'unshare', 'rpm', 'rpmbuild', 'mount'];
/** Bounds of the waits below: generous, they only end a hung boot. */
const BOOT_TIMEOUT_MS = 120_000;
const POWEROFF_TIMEOUT_MS = 60_000;

/** Why a real boot cannot run here (undefined when it can). */
export async function realBootUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'a real boot needs root (systemd-nspawn, mounts, network namespaces)';
  for (const tool of TOOLS) {
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0) {
      return `${tool} is not installed (scripts/dev-setup.sh installs it)`;
    }
  }
  return undefined;
}

/** The cached base image, built on first use. */
export async function baseImage(): Promise<string> {
  const argv = ['--variant=minbase', `--include=${IMAGE_PACKAGES.join(',')}`, SUITE];
  const key = createHash('sha256').update(argv.join(' ')).digest('hex').slice(0, 16);
  const dir = join(CACHE, `nodeimg-${key}`);
  if (existsSync(join(dir, 'etc/os-release'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = await execa('mmdebstrap', ['--quiet', ...argv, tmp], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`mmdebstrap failed (${r.exitCode}): ${String(r.stderr).slice(-2000)}`);
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another run finished the same image first: use theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'etc/os-release'))) throw e;
  }
  return dir;
}

/**
 * The x86_64 release RPM: the one the package tests built (dist/.release) if there is one, else an x64-only
 * build (dist/.release-x64: the binary and its RPM, about a minute), kept for later runs of the same dist/.
 */
export async function releaseRpm(): Promise<string> {
  const name = (dir: string): string | undefined =>
    existsSync(dir) ? readdirSync(dir).find((f) => /^asm-erdma-.*\.x86_64\.rpm$/.test(f)) : undefined;
  for (const dir of [join(REPO_ROOT, 'dist/.release'), join(REPO_ROOT, 'dist/.release-x64')]) {
    const rpm = name(dir);
    if (rpm) return join(dir, rpm);
  }
  const out = join(REPO_ROOT, 'dist/.release-x64');
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const script = join(REPO_ROOT, 'scripts/package/release.js');
  const r = await execa(process.execPath, [script, '--out', tmp, '--arch', 'x64', '--rpm', 'x64', '--no-npm'], {
    reject: false,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0) throw new Error(`release build failed: ${String(r.stderr).slice(-2000)}`);
  renameSync(tmp, out);
  return join(out, name(out) as string);
}

const KUBELET_UNIT = `[Unit]
Description=stand-in kubelet: records the addresses it sees when it starts

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip -j addr show > /run/kubelet-saw-addr.json'

[Install]
WantedBy=multi-user.target
`;

/** Runs a shell script in a private mount namespace with the overlay `lower` (top first) + `upper` at `root`. */
function overlayScript(o: { lowers: string[]; upper: string; work: string; root: string }, then: string): string[] {
  const opts = `lowerdir=${o.lowers.join(':')},upperdir=${o.upper},workdir=${o.work}`;
  return [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount -t overlay overlay -o ${opts} ${o.root} && ${then}`,
  ];
}

export interface NodeImage {
  /** Lower layers of a boot, top first. */
  lowers: string[];
  dir: string;
}

/** The node layer over the base image: the release RPM, the stand-ins, the units install-service writes. */
export async function nodeImage(scratch: string): Promise<NodeImage> {
  const base = await baseImage();
  const rpm = await releaseRpm();
  const dir = join(scratch, 'node-layer');
  const layer = { upper: join(dir, 'upper'), work: join(dir, 'work'), root: join(dir, 'root') };
  for (const d of Object.values(layer)) mkdirSync(d, { recursive: true });
  const root = layer.root;
  const steps = [
    `rpm --root ${root} -i --nodeps ${rpm}`,
    `install -m 0755 ${join(STANDIN_BIN, 'rdma')} ${root}/usr/sbin/rdma`,
    `printf '%s' "$KUBELET_UNIT" > ${root}/etc/systemd/system/kubelet.service`,
    `systemctl --root=${root} enable kubelet.service`,
    `${process.execPath} ${CLI} install-service --root ${root} --exec /usr/bin/asm-erdma`,
  ].join(' && ');
  const r = await execa('unshare', overlayScript({ lowers: [base], ...layer }, steps), {
    reject: false,
    stdin: 'ignore',
    env: { KUBELET_UNIT, NO_COLOR: '1' },
  });
  if (r.exitCode !== 0) throw new Error(`building the node layer failed: ${r.stderr}`);
  rmSync(layer.work, { recursive: true, force: true });
  return { lowers: [layer.upper, base], dir };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A booted node: systemd-nspawn's process, the container's PID 1 and a way to run commands inside. */
export class BootedNode {
  private constructor(
    private readonly nspawn: ChildProcess,
    readonly pid1: number,
    readonly console: string,
  ) {}

  /**
   * Boots `image` in the simulated node's network namespace with the disk `disk` (an upper directory kept
   * between boots). Resolves once systemd has finished starting up (is-system-running --wait).
   */
  static async boot(image: NodeImage, node: SimNode, disk: string): Promise<BootedNode> {
    const layer = { upper: join(disk, 'upper'), work: join(disk, 'work'), root: join(disk, 'root') };
    for (const d of Object.values(layer)) mkdirSync(d, { recursive: true });
    const console = join(disk, `console-${Date.now()}.log`);
    const nspawn = [
      'exec systemd-nspawn --quiet',
      `-D ${layer.root} --boot --register=no --keep-unit --console=pipe`,
      '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
      `--network-namespace-path=/run/netns/${node.ns}`,
    ].join(' ');
    const out = openSync(console, 'w');
    const child = spawn('unshare', overlayScript({ lowers: image.lowers, ...layer }, nspawn), {
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const pid1 = await containerInit(child, exited);
      const booted = new BootedNode(child, pid1, console);
      await booted.waitForStartup();
      return booted;
    } catch (e) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`${(e as Error).message}\nconsole:\n${readFileSync(console, 'utf8').slice(-3000)}`);
    }
  }

  /** A command inside the container (all its namespaces), with a clean environment. */
  async exec(file: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
    const r = await execa('nsenter', ['-t', String(this.pid1), '-a', file, ...args], {
      reject: false,
      stdin: 'ignore',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
      extendEnv: false,
      timeout: timeoutMs,
    });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  systemctl = (...args: string[]): Promise<RunResult> => this.exec('systemctl', ['--no-pager', ...args]);

  /** A unit's properties, as `systemctl show -p`. */
  async show(unit: string, ...props: string[]): Promise<Record<string, string>> {
    const r = await this.systemctl('show', unit, ...props.flatMap((p) => ['-p', p]));
    return Object.fromEntries(r.stdout.split('\n').map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]));
  }

  /** A unit's journal, messages only. */
  journal = async (unit: string): Promise<string> =>
    (await this.exec('journalctl', ['--no-pager', '-o', 'cat', '-u', unit])).stdout;

  /** A file inside the container (through its PID 1's root). */
  readFile = (path: string): string => readFileSync(join(`/proc/${this.pid1}/root`, path), 'utf8');

  /** Waits (bounded) until systemd says start-up is over: running, or degraded when some unit failed. */
  private async waitForStartup(): Promise<void> {
    const until = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      const r = await this.systemctl('is-system-running', '--wait');
      const state = r.stdout.trim();
      if (state === 'running' || state === 'degraded') return;
      // Before systemd's bus is up the call fails at once: ask again, until the bound.
      if (Date.now() > until) throw new Error(`the container did not finish booting: ${state} ${r.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM to systemd-nspawn powers the container off; SIGKILL if it does not end within the bound. */
  async powerOff(): Promise<void> {
    if (this.nspawn.exitCode !== null || this.nspawn.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.nspawn.once('exit', () => resolve()));
    this.nspawn.kill('SIGTERM');
    const timer = setTimeout(() => this.nspawn.kill('SIGKILL'), POWEROFF_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

/** The container's PID 1: the child of systemd-nspawn (unshare exec'd it) running systemd. Bounded poll. */
async function containerInit(child: ChildProcess, exited: Promise<number | null>): Promise<number> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const until = Date.now() + BOOT_TIMEOUT_MS;
  while (!gone && Date.now() < until) {
    for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === child.pid && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'systemd') return Number(p);
      } catch {
        // the process ended meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(gone ? 'systemd-nspawn exited before the container started' : 'no container PID 1 appeared');
}

/** A scratch directory for one test's disks and layers. */
export const scratchDir = (): string => mkdtempSync('/tmp/asm-erdma-boot-');
