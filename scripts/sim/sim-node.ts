/**
 * The node simulator: a network namespace that looks like an ECS node to asm-erdma.
 *   - a primary NIC (eth0 by default) with an address, `metric 100` and the default route;
 *   - N eRDMA NICs eth1..ethN (veth, down, known MACs, alias erdma_K for the stand-in rdma);
 *   - 100.100.100.200/32 on lo, served by our metadata server inside the namespace.
 * Everything the CLI does runs inside the namespace via `ip netns exec`; nothing reaches the host's links.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { Fault, MetadataConfig, RequestLogLine, TokenMode } from './metadata-model.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const STANDIN_BIN = join(REPO_ROOT, 'scripts/sim/bin');
export const CLI = join(REPO_ROOT, 'bin/asm-erdma.js');

export interface SimOptions {
  nics?: number;
  primaryName?: string;
  primaryMetric?: number;
  tokenMode?: TokenMode;
  latencyMs?: number;
  faults?: Fault[];
  /** Boot simulation: the eRDMA driver has not registered its devices yet (see revealDevices). */
  hideDevices?: boolean;
  /** Boot simulation: the metadata server is not answering yet (see startServer). */
  serverDown?: boolean;
  /** Names of the eRDMA NICs instead of eth1..ethN (any name the kernel accepts, e.g. `eth0#1` or `"q`). */
  nicNames?: string[];
  /** The default route is multipath: `nexthop via 192.168.0.253 dev P nexthop via 192.168.0.252 dev P`. */
  multipathDefault?: boolean;
  /**
   * A sysfs tree (ASM_ERDMA_SYSROOT for the CLI) with one eRDMA PCI function per NIC: bound to erdma with its
   * RDMA device when the devices are visible, unbound with no erdma module while they are hidden.
   */
  pci?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface SimNic {
  name: string;
  mac: string;
  address: string;
}

let counter = 0;

/**
 * `unshare` argv running `script` in a private mount namespace (mounts made there vanish with it); `args` become
 * the script's "$@" (with "sh" as $0).
 */
export const inPrivateMounts = (script: string, args: string[] = []): string[] => [
  'unshare',
  '--mount',
  '--propagation',
  'private',
  'sh',
  '-c',
  script,
  ...(args.length > 0 ? ['sh', ...args] : []),
];

export const macOf = (k: number): string => `00:16:3e:5a:00:${k.toString(16).padStart(2, '0')}`;

async function ip(...args: string[]): Promise<void> {
  await execa('ip', args);
}

export class SimNode {
  readonly ns: string;
  readonly dir: string;
  readonly primary: string;
  readonly nics: SimNic[];
  readonly config: MetadataConfig;
  /** The scratch sysfs root when the node has a PCI tree (options.pci). */
  readonly sysroot: string | undefined;
  private server: ChildProcess | undefined;

  private constructor(options: Required<SimOptions>) {
    this.ns = `asmsim-${process.pid}-${counter++}`;
    this.dir = mkdtempSync(join(tmpdir(), 'asm-erdma-sim-'));
    this.primary = options.primaryName;
    this.sysroot = options.pci ? join(this.dir, 'sysroot') : undefined;
    const count = options.nicNames.length > 0 ? options.nicNames.length : options.nics;
    this.nics = Array.from({ length: count }, (_, i) => ({
      name: options.nicNames[i] ?? `eth${i + 1}`,
      mac: macOf(i + 1),
      address: `192.168.0.${11 + i}`,
    }));
    this.config = {
      tokenMode: options.tokenMode,
      latencyMs: options.latencyMs,
      primaryMac: macOf(0),
      nics: Object.fromEntries([
        [macOf(0), { 'primary-ip-address': '192.168.0.10', netmask: '255.255.255.0', gateway: '192.168.0.253' }],
        ...this.nics.map((n) => [
          n.mac,
          {
            'primary-ip-address': n.address,
            netmask: '255.255.255.0',
            gateway: '192.168.0.253',
            'vswitch-cidr-block': '192.168.0.0/24',
          },
        ]),
      ]),
      faults: options.faults,
      log: join(this.dir, 'requests.jsonl'),
    };
  }

  static async create(options: SimOptions = {}): Promise<SimNode> {
    const node = new SimNode({
      nics: 1,
      primaryName: 'eth0',
      primaryMetric: 100,
      tokenMode: 'optional',
      latencyMs: 0,
      faults: [],
      hideDevices: false,
      serverDown: false,
      nicNames: [],
      multipathDefault: false,
      pci: false,
      ...options,
    });
    try {
      await node.build(options.primaryMetric ?? 100, options.hideDevices ?? false, options.multipathDefault ?? false);
      if (!options.serverDown) await node.startServer();
    } catch (e) {
      await node.destroy();
      throw e;
    }
    return node;
  }

  private async build(primaryMetric: number, hideDevices: boolean, multipath: boolean): Promise<void> {
    const { ns } = this;
    await ip('netns', 'add', ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'addr', 'add', '100.100.100.200/32', 'dev', 'lo');
    await ip('-n', ns, 'link', 'add', this.primary, 'address', macOf(0), 'type', 'veth', 'peer', 'name', 'peer0');
    await ip('-n', ns, 'link', 'set', 'peer0', 'up');
    await ip('-n', ns, 'link', 'set', this.primary, 'up');
    await ip('-n', ns, 'addr', 'add', '192.168.0.10/24', 'dev', this.primary, 'metric', String(primaryMetric));
    const via = multipath
      ? ['nexthop', 'via', '192.168.0.253', 'dev', this.primary, 'nexthop', 'via', '192.168.0.252', 'dev', this.primary]
      : ['via', '192.168.0.253', 'dev', this.primary];
    await ip('-n', ns, 'route', 'add', 'default', 'proto', 'dhcp', 'metric', String(primaryMetric), ...via);
    for (const [i, nic] of this.nics.entries()) {
      await ip('-n', ns, 'link', 'add', nic.name, 'address', nic.mac, 'type', 'veth', 'peer', 'name', `peer${i + 1}`);
      await ip('-n', ns, 'link', 'set', `peer${i + 1}`, 'up');
      this.addPciFunction(i);
      if (!hideDevices) await this.revealDevice(nic.name);
    }
    if (!hideDevices) this.setDriverState('live');
    this.writeConfig();
  }

  /** The PCI address of the i-th eRDMA NIC's function in the scratch sysfs. */
  pciAddress = (i: number): string => `0000:00:${(i + 5).toString(16).padStart(2, '0')}.0`;

  private addPciFunction(i: number): void {
    if (!this.sysroot) return;
    const dir = join(this.sysroot, 'sys/bus/pci/devices', this.pciAddress(i));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vendor'), '0x1ded\n');
    writeFileSync(join(dir, 'device'), '0x107f\n');
    mkdirSync(join(this.sysroot, 'sys/bus/pci/drivers/erdma'), { recursive: true });
  }

  /** The erdma module's /sys/module/erdma/initstate (the tree's driver): loading (`coming`) or done (`live`). */
  setDriverState(state: 'coming' | 'live'): void {
    if (!this.sysroot) return;
    const dir = join(this.sysroot, 'sys/module/erdma');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'initstate'), `${state}\n`);
  }

  /** The driver's probe of a function started: it is bound, but has no RDMA device yet. */
  bindFunction(name: string): void {
    const i = this.nicIndex(name);
    if (!this.sysroot) return;
    const link = join(this.sysroot, 'sys/bus/pci/devices', this.pciAddress(i), 'driver');
    if (!existsSync(link)) symlinkSync('../../drivers/erdma', link);
  }

  private nicIndex(name: string): number {
    const i = this.nics.findIndex((n) => n.name === name);
    if (i < 0) throw new Error(`no simulated eRDMA NIC ${name}`);
    return i;
  }

  /** The eRDMA driver registers its devices: the stand-in rdma starts listing them. */
  async revealDevices(): Promise<void> {
    for (const nic of this.nics) await this.revealDevice(nic.name);
  }

  /**
   * One device registers (they do one by one at boot, or when an ENI is hot-plugged): the stand-in rdma lists
   * it and, with a PCI tree, its function is bound and its RDMA device points at it.
   */
  async revealDevice(name: string): Promise<void> {
    const i = this.nicIndex(name);
    if (this.sysroot) {
      this.bindFunction(name);
      const dev = join(this.sysroot, 'sys/class/infiniband', `erdma_${i}`);
      mkdirSync(dev, { recursive: true });
      const link = join(dev, 'device');
      if (!existsSync(link)) symlinkSync(`../../../bus/pci/devices/${this.pciAddress(i)}`, link);
    }
    await ip('-n', this.ns, 'link', 'set', name, 'alias', `erdma_${i}`);
  }

  /** What the metadata server answers for a NIC from now on (the server re-reads its config per request). */
  setNicMetadata(mac: string, values: Record<string, string>): void {
    this.config.nics[mac] = { ...this.config.nics[mac], ...values };
    this.writeConfig();
  }

  writeConfig(): void {
    writeFileSync(join(this.dir, 'metadata.json'), JSON.stringify(this.config, null, 2));
  }

  /** Changes faults (or any answer) for the next requests; the server re-reads its config per request. */
  setFaults(faults: Fault[]): void {
    this.config.faults = faults;
    this.writeConfig();
  }

  stopServer(): void {
    this.server?.kill('SIGTERM');
    this.server = undefined;
  }

  startServer(): Promise<void> {
    const script = join(REPO_ROOT, 'dist/scripts/sim/metadata-server.js');
    const child = spawn(
      'ip',
      ['netns', 'exec', this.ns, process.execPath, script, '--config', join(this.dir, 'metadata.json')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.server = child;
    return new Promise((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error('metadata server did not start within 10 s')), 10_000);
      child.stdout?.once('data', () => {
        clearTimeout(timer);
        resolveReady();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`metadata server exited with ${code}`));
      });
    });
  }

  /** Runs any command inside the namespace. */
  async exec(file: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    const r = await execa(
      'ip',
      ['netns', 'exec', this.ns, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), file, ...args],
      {
        reject: false,
        stdin: 'ignore',
      },
    );
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** The standard environment for the CLI in this node: stand-ins first on PATH, state under the node's dir. */
  cliEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      PATH: `${STANDIN_BIN}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      ASM_ERDMA_RUN_DIR: join(this.dir, 'run'),
      NO_COLOR: '1',
      ...(this.sysroot ? { ASM_ERDMA_SYSROOT: this.sysroot } : {}),
      ...extra,
    };
  }

  /** Runs the built CLI inside the namespace. */
  cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
    return this.exec(process.execPath, [CLI, ...args], this.cliEnv(env));
  }

  async addrJson(): Promise<unknown[]> {
    const r = await execa('ip', ['-n', this.ns, '-j', 'addr', 'show']);
    return JSON.parse(r.stdout) as unknown[];
  }

  async routeJson(): Promise<unknown[]> {
    const r = await execa('ip', ['-n', this.ns, '-j', '-4', 'route', 'show', 'table', 'main']);
    return JSON.parse(r.stdout) as unknown[];
  }

  requests(): RequestLogLine[] {
    const file = this.config.log ?? '';
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as RequestLogLine);
  }

  clearRequests(): void {
    if (this.config.log) writeFileSync(this.config.log, '');
  }

  async destroy(): Promise<void> {
    this.server?.kill('SIGTERM');
    await execa('ip', ['netns', 'del', this.ns], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Namespaces need root (CAP_SYS_ADMIN) and iproute2; say why when they cannot be made. */
export async function simUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the node simulator needs root (network namespaces)';
  const probe = `asmsim-probe-${process.pid}`;
  const r = await execa('ip', ['netns', 'add', probe], { reject: false });
  if (r.exitCode !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`;
  await execa('ip', ['netns', 'del', probe], { reject: false });
  return undefined;
}
