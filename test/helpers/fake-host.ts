/**
 * An in-memory node for workflow unit tests: canned observations (links, routes, rdma, metadata answers, files,
 * unit states, kernels) and a backend that changes that state, so a test reads the node after a run. The
 * executor is the real one (host/executor.ts): dry-run and rollback are what production runs. Every change the
 * backend makes is logged in order; `failIp` / `failEffect` make a chosen change fail.
 */
import { join } from 'node:path';
import type { ErdmaPci } from '../../src/core/boot-wait.js';
import { describeEffect, type Effect } from '../../src/core/effects.js';
import type { FileState } from '../../src/core/file-state.js';
import type { Ipv4Address, LinkInfo, RouteInfo } from '../../src/core/iproute-json.js';
import type { KernelRelease } from '../../src/core/kernel-release.js';
import { parseKernelRelease } from '../../src/core/kernel-release.js';
import { describeAction, type Action } from '../../src/core/nic-plan.js';
import type { OwnedRecord } from '../../src/core/owned-record.js';
import type { RdmaPort } from '../../src/core/rdma-links.js';
import type { NetnsTarget } from '../../src/core/netns.js';
import type { SmcSocket } from '../../src/core/smcss.js';
import { parseSysconfig, SYSCONFIG_PATH, type SysconfigEntry, type SysconfigKey } from '../../src/core/sysconfig.js';
import { ExitError } from '../../src/exit-codes.js';
import { ActionFailed, Executor, type Backend, type BatchResult, type Privilege } from '../../src/host/executor.js';
import type { Clock, Host, MetadataSource, NetnsReading, Observation } from '../../src/host/host.js';
import { nicPath } from '../../src/core/metadata-layout.js';
import { MetadataError, RdmaUnavailable } from '../../src/host/host-errors.js';
import { toolTimeout } from '../../src/host/runner.js';
import { Logger } from '../../src/ui/logger.js';

export interface FakeState {
  links: LinkInfo[];
  routes: RouteInfo[];
  /** undefined: no RDMA netlink (the driver is not loaded). */
  rdma: RdmaPort[] | undefined;
  /** Metadata path → answer; a path not here answers 404. */
  metadata: Map<string, string>;
  record: OwnedRecord;
  files: Map<string, string>;
  /** Directories that exist besides those holding a file (a live node's unit and udev rule directories). */
  dirs: Set<string>;
  /** Paths holding something other than a readable regular file (unreadable, a FIFO…): they win over `files`. */
  oddFiles: Map<string, FileState>;
  /** systemctl is-enabled per unit (absent: not-found). */
  enabled: Map<string, string>;
  promoteSecondaries: boolean;
  running: string;
  installed: string[];
  available: string[];
  packages: Set<string>;
  rebooted: boolean;
  smcLoaded: boolean;
  /** Tools on PATH. */
  tools: Set<string>;
  /** What each smcss run in the host's namespace sees, one sample per run (the last one repeats). */
  smcSamples: SmcSocket[][];
  /** net.smc.tcp2smc in the host's namespace. */
  hostTcp2smc: string | undefined;
  /** The pods' (and other) network namespaces besides the host's. */
  netns: FakeNetns[];
  /** Namespaces entered, by label, in order (a filter must not enter the others). */
  entered: string[];
  /** The PCI tree's eRDMA functions and the driver's state (none: a node whose tree lists no eRDMA function). */
  pci: ErdmaPci;
}

/** A network namespace of the fake node. */
export interface FakeNetns {
  target: NetnsTarget;
  tcp2smc: string | undefined;
  /** One sample per smcss run (the last repeats); 'vanished': ends before it is entered; 'hang': never answers. */
  samples: SmcSocket[][] | 'vanished' | 'hang';
}

let nextInode = 4026532100;

/** A pod's namespace (`ns/name`), or an unattributed one (`netns:` + its process name). */
export function podNetns(label: string, tcp2smc: string | undefined, samples: FakeNetns['samples']): FakeNetns {
  const netns = nextInode++;
  const [namespace = '', name = ''] = label.split('/');
  const target: NetnsTarget = label.startsWith('netns:')
    ? {
        netns,
        kind: 'netns',
        label: `netns:[${netns}]`,
        pod: null,
        process: { pid: netns % 100_000, comm: label.slice('netns:'.length) },
        netnsName: null,
        paths: [`/proc/${netns % 100_000}/ns/net`],
      }
    : {
        netns,
        kind: 'pod',
        label,
        pod: { namespace, name, uid: `00000000-0000-0000-0000-${String(netns).padStart(12, '0')}` },
        process: { pid: netns % 100_000, comm: 'pause' },
        netnsName: null,
        paths: [`/proc/${netns % 100_000}/ns/net`],
      };
  return { target, tcp2smc, samples };
}

const HOST_TARGET: NetnsTarget = {
  netns: 4026531840,
  kind: 'host',
  label: 'host',
  pod: null,
  process: { pid: 1, comm: 'systemd' },
  netnsName: null,
  paths: ['/proc/1/ns/net'],
};

export const RECORD_PATH = '/run/asm-erdma/owned.json';

export function addr(local: string, prefixlen = 24, more: Partial<Ipv4Address> = {}): Ipv4Address {
  return { local, prefixlen, scope: 'global', metric: 0, secondary: false, ...more };
}

export function link(name: string, mac: string | undefined, ipv4: Ipv4Address[] = [], adminUp = false): LinkInfo {
  return { name, mac, adminUp, operstate: adminUp ? 'UP' : 'DOWN', lowerUp: adminUp, mtu: 1500, ipv4 };
}

export const macOf = (i: number): string => `00:16:3e:00:00:0${i}`;

/**
 * A node: eth0 primary (192.168.0.10/24, default via 192.168.0.253: the eRDMA NICs' subnet) and `n` eRDMA NICs
 * eth1..ethN, down, no address.
 */
export function node(
  n: number,
  metadataFor: (i: number) => [string, string, string] = (i) => [`192.168.0.1${i}`, '255.255.255.0', '192.168.0.253'],
): FakeState {
  const links = [link('eth0', '00:16:3e:00:00:00', [addr('192.168.0.10')], true)];
  const rdma: RdmaPort[] = [];
  const metadata = new Map<string, string>();
  for (let i = 1; i <= n; i++) {
    links.push(link(`eth${i}`, macOf(i)));
    rdma.push({ device: `erdma_${i - 1}`, port: 1, state: 'ACTIVE', netdev: `eth${i}` });
    const [ip, mask, gw] = metadataFor(i);
    metadata.set(nicPath(macOf(i), 'primary-ip-address'), ip);
    metadata.set(nicPath(macOf(i), 'netmask'), mask);
    metadata.set(nicPath(macOf(i), 'gateway'), gw);
  }
  const route = (dst: string, dev: string, gateway: string | undefined, scope: string, metric: number): RouteInfo => ({
    dst,
    dev,
    gateway,
    nexthops: [],
    protocol: gateway ? 'dhcp' : 'kernel',
    scope,
    metric,
    table: 'main',
  });
  return {
    links,
    routes: [
      route('default', 'eth0', '192.168.0.253', 'global', 100),
      route('192.168.0.0/24', 'eth0', undefined, 'link', 100),
    ],
    rdma,
    metadata,
    record: {},
    files: new Map(),
    dirs: new Set(['/etc', '/etc/systemd', '/etc/systemd/system', '/etc/udev', '/etc/udev/rules.d', '/usr/bin']),
    oddFiles: new Map(),
    enabled: new Map(),
    promoteSecondaries: true,
    running: '5.10.134-17.3.al8.x86_64',
    installed: ['5.10.134-17.3.al8.x86_64'],
    available: ['5.10.134-17.3.al8.x86_64'],
    packages: new Set(),
    rebooted: false,
    smcLoaded: true,
    tools: new Set(['smcss']),
    smcSamples: [[]],
    hostTcp2smc: '0',
    netns: [],
    entered: [],
    pci: { functions: [], driver: 'absent' },
  };
}

/**
 * Virtual time: sleep() moves it forward at once and runs what was scheduled (at()) up to then, so a test of a
 * wait loop says what happens when, and runs in no real time.
 */
export class FakeClock implements Clock {
  private t = 1_000_000;
  readonly start = this.t;
  private events: { at: number; run: () => void }[] = [];
  /** Every sleep asked, in ms. */
  readonly slept: number[] = [];

  now = (): number => this.t;

  /** Runs `run` once the clock reaches `ms` after the start. */
  at(ms: number, run: () => void): void {
    this.events.push({ at: this.start + ms, run });
    this.events.sort((a, b) => a.at - b.at);
  }

  /** Milliseconds since the start. */
  elapsed = (): number => this.t - this.start;

  sleep = async (ms: number): Promise<void> => {
    this.slept.push(ms);
    this.t += ms;
    while (this.events[0] && this.events[0].at <= this.t) this.events.shift()?.run();
  };
}

const kernel = (text: string): KernelRelease => {
  const k = parseKernelRelease(text);
  if (!k) throw new Error(`bad kernel in a test: ${text}`);
  return k;
};

class FakeBackend implements Backend {
  constructor(private readonly h: FakeHost) {}

  /** What the kernel does with each action (iproute2's error text when it refuses). */
  private change(a: Action): string | undefined {
    const injected = this.h.failIp?.(a);
    if (injected) return injected;
    const l = this.h.state.links.find((x) => x.name === a.dev);
    if (!l) return `Cannot find device "${a.dev}"`;
    const at = l.ipv4.findIndex(
      (x) => a.kind !== 'link-up' && a.kind !== 'link-down' && x.local === a.address && x.prefixlen === a.prefix,
    );
    switch (a.kind) {
      case 'link-up':
      case 'link-down':
        // A virtual NIC has carrier as soon as it is up.
        l.adminUp = a.kind === 'link-up';
        l.lowerUp = l.adminUp;
        l.operstate = l.adminUp ? 'UP' : 'DOWN';
        return undefined;
      case 'addr-add':
        if (at >= 0) return 'RTNETLINK answers: File exists';
        l.ipv4.push(addr(a.address, a.prefix, { metric: a.metric }));
        return undefined;
      case 'addr-replace':
        if (at >= 0) (l.ipv4[at] as Ipv4Address).metric = a.metric;
        else l.ipv4.push(addr(a.address, a.prefix, { metric: a.metric }));
        return undefined;
      case 'addr-del':
        if (at < 0) return 'RTNETLINK answers: Cannot assign requested address';
        l.ipv4.splice(at, 1);
        return undefined;
    }
  }

  async ipBatch(actions: Action[]): Promise<BatchResult> {
    this.h.log.push(`ip -batch (${actions.length} lines)`);
    const failed = new Map<number, string>();
    for (const [i, a] of actions.entries()) {
      // A hung ip: the runner kills it at the deadline, after it ran this many lines.
      if (i === this.h.hangBatchAfter) throw toolTimeout(['ip', '-force', '-batch', '-'], 2000);
      this.h.log.push(describeAction(a));
      const why = this.change(a);
      if (why) failed.set(i, why);
    }
    return { failed };
  }

  async ip(action: Action): Promise<void> {
    this.h.log.push(describeAction(action));
    const why = this.change(action);
    if (why) throw new ActionFailed(action, why);
  }

  links = async () => structuredClone(this.h.state.links);

  hasPrivilege = (privilege: Privilege) => (privilege === 'net-admin' ? (this.h.netAdmin ?? this.h.root) : this.h.root);

  ownedRecord(o: { writable: boolean }): { path: string; record: OwnedRecord } {
    this.h.recordOpened.push(o.writable ? 'writable' : 'read-only');
    return { path: RECORD_PATH, record: structuredClone(this.h.state.record) };
  }

  async lock(): Promise<{ release(): Promise<void> }> {
    this.h.lockEvents.push('lock');
    return { release: async () => void this.h.lockEvents.push('unlock') };
  }

  async confirm(question: string, yes: boolean): Promise<void> {
    this.h.log.push(`ask: ${question}`);
    if (!yes && !this.h.answerYes)
      throw new ExitError('confirmationNeeded', `${question}: declined; nothing was changed`);
  }

  async perform(e: Effect): Promise<void> {
    const injected = this.h.failEffect?.(e);
    if (injected) throw new ExitError('apply', `'${describeEffect(e)}' failed: ${injected}`);
    this.h.log.push(describeEffect(e));
    const s = this.h.state;
    switch (e.kind) {
      case 'write-file':
        for (const d of e.makesDirs ?? []) s.dirs.add(d);
        s.files.set(e.path, e.content);
        return;
      case 'remove-file':
        s.files.delete(e.path);
        return;
      case 'restore-file':
        if (e.content === undefined) s.files.delete(e.path);
        else s.files.set(e.path, e.content);
        for (const d of e.removeDirs ?? []) {
          if (![...s.files.keys(), ...s.dirs].some((x) => x.startsWith(`${d}/`))) s.dirs.delete(d);
        }
        return;
      case 'systemctl':
        if (e.verb === 'enable') s.enabled.set(e.unit ?? '', 'enabled');
        if (e.verb === 'disable') s.enabled.set(e.unit ?? '', 'disabled');
        return;
      case 'write-record':
        s.record = structuredClone(e.record);
        return;
      case 'write-last-setup':
        s.files.set(e.path, `${JSON.stringify(e.outcome)}\n`);
        return;
      case 'install-package':
        s.packages.add(e.spec);
        if (/^kernel-\d/.test(e.spec)) s.installed.push(e.spec.slice('kernel-'.length));
        return;
      case 'reboot':
        s.rebooted = true;
    }
  }
}

export class FakeHost implements Host {
  readonly changes: Executor;
  /** Every change made, in order (ip lines, file writes, systemctl verbs, the record). */
  readonly log: string[] = [];
  /** Metadata paths asked, in order. */
  readonly asked: string[] = [];
  failIp?: (a: Action) => string | undefined;
  failEffect?: (e: Effect) => string | undefined;
  hangBatchAfter?: number;
  readonly clock = new FakeClock();
  root = true;
  /** CAP_NET_ADMIN; undefined: as `root`. */
  netAdmin?: boolean;
  /** The run lock taken and released, in order (kept apart from `log`: it changes nothing). */
  readonly lockEvents: string[] = [];
  /** How setup's record was opened, per run. */
  readonly recordOpened: ('writable' | 'read-only')[] = [];
  answerYes = false;

  constructor(
    readonly state: FakeState,
    o: { dryRun?: boolean } = {},
  ) {
    this.changes = new Executor(new FakeBackend(this), o.dryRun ?? false);
  }

  observe = async (): Promise<Observation> => structuredClone({ links: this.state.links, routes: this.state.routes });

  async rdmaPorts(): Promise<RdmaPort[]> {
    if (!this.state.rdma) throw new RdmaUnavailable('no RDMA netlink');
    return structuredClone(this.state.rdma);
  }

  promotesSecondaries = () => this.state.promoteSecondaries;
  erdmaPci = (): ErdmaPci => structuredClone(this.state.pci);

  metadata(): MetadataSource {
    return {
      prefetchToken: () => undefined,
      getAll: async (paths) => {
        this.asked.push(...paths);
        const missing = paths.find((p) => !this.state.metadata.has(p));
        if (missing) throw new MetadataError('http', missing, `HTTP 404 for ${missing}`, 404);
        return new Map(paths.map((p) => [p, this.state.metadata.get(p) as string]));
      },
      close: () => undefined,
    };
  }

  readFile = (path: string) => this.state.files.get(path);
  fileState = (path: string): FileState => {
    const odd = this.state.oddFiles.get(path);
    if (odd) return odd;
    const content = this.state.files.get(path);
    return content === undefined ? { kind: 'absent' } : { kind: 'regular', content };
  };
  inRoot = (root: string, path: string) => ({ ok: true as const, path: join(root, path) });
  exists = (path: string) => this.state.files.has(path);
  isDirectory = (path: string) =>
    path === '/' ||
    this.state.dirs.has(path) ||
    [...this.state.files.keys(), ...this.state.dirs].some((f) => f.startsWith(`${path}/`));
  unitEnabled = async (unit: string) => this.state.enabled.get(unit) ?? 'not-found';
  unitActive = async () => 'inactive';
  networkManagerDevices = async () => undefined;
  terwayPresent = () => false;
  /** A setup run holds the lock (status then says so instead of advising another setup). */
  lockHeld = false;
  runInProgress = async () => this.lockHeld;
  takeSigint = () => () => undefined;

  runningKernel = async () => kernel(this.state.running);
  installedKernels = async () => this.state.installed.map(kernel);
  kernelsAndHotfix = async (hotfix: string) => ({
    kernels: this.state.installed.map(kernel),
    hotfix: this.state.packages.has(hotfix),
  });
  isInstalled = async (name: string) => this.state.packages.has(name);
  availableKernels = async () => this.state.available.map(kernel);
  repoPackages = async (name: string) =>
    name === 'kernel' ? this.state.available.map((k) => `kernel-${k}`) : [`${name}-1.0-1.al8.x86_64`];
  defaultBootKernel = async () => kernel([...this.state.installed].sort().at(-1) as string);
  packageTool = () => 'yum' as const;

  smcFacts = () => ({
    smcLoaded: true,
    smcDiagLoaded: true,
    sysctls: [],
    tcp2smc: undefined,
    smcss: '/usr/sbin/smcss',
  });
  smcPresent = () => this.state.smcLoaded;
  erdmaDriverFacts = (devicesListed: boolean) => ({ loaded: true, compatMode: undefined, devicesListed });
  rpFilterFacts = (nics: string[]) => ({ all: 0, nics: new Map(nics.map((n) => [n, 0])) });
  tcpListeners = () => [];
  findTool = (name: string) => (this.state.tools.has(name) ? `/usr/bin/${name}` : undefined);
  cores = () => 2;
  netNamespaces = (): NetnsTarget[] => [HOST_TARGET, ...this.state.netns.map((n) => n.target)];
  inNetns = async (target: NetnsTarget, o: { smcss?: string }): Promise<NetnsReading | undefined> => {
    this.state.entered.push(target.label);
    const ns =
      target.kind === 'host'
        ? { tcp2smc: this.state.hostTcp2smc, samples: this.state.smcSamples }
        : this.state.netns.find((n) => n.target.netns === target.netns);
    if (!ns || ns.samples === 'vanished') return undefined;
    if (ns.samples === 'hang') throw toolTimeout(['nsenter', `--net=${target.paths[0]}`, 'sh', '-c'], 20_000);
    const samples = ns.samples;
    const sockets = o.smcss ? structuredClone((samples.length > 1 ? samples.shift() : samples[0]) ?? []) : undefined;
    return { tcp2smc: ns.tcp2smc, sockets };
  };
  /** Tools "killed at the deadline" in this run. */
  killed: string[] = [];
  killedTools = () => this.killed;
  /** How this CLI runs (real paths) and whose home this is. */
  ownExec = ['/usr/bin/asm-erdma'];
  home: string | undefined = '/root';
  installedPaths = () => ({ exec: [...this.ownExec] });
  existsInRoot = (root: string, path: string) => this.isPresent(join(root, path));
  realPath = (path: string) => (this.isPresent(path) ? path : undefined);
  homeDirectory = () => this.home;
  private isPresent = (path: string) => this.state.files.has(path) || this.isDirectory(path);

  sysconfig(root: string | undefined): Map<SysconfigKey, SysconfigEntry> {
    const path = join(root ?? '/', SYSCONFIG_PATH);
    const text = this.state.files.get(path);
    if (text === undefined) return new Map();
    const parsed = parseSysconfig(text);
    if (!parsed.ok) throw new ExitError('usage', `${path} line ${parsed.line}: ${parsed.message}`, parsed.hint);
    return parsed.entries;
  }
}

/** A Logger whose lines (warnings, info) are kept for assertions instead of going to stderr. */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = { isTTY: false, write: (s: string) => lines.push(...s.trimEnd().split('\n')) };
  return { log: new Logger(false, sink as unknown as NodeJS.WriteStream, false), lines };
}

/** One established SMC socket as smcss lists it: SMC-R, or a fallback to TCP with its CLC decline reason. */
export const smcSocket = (mode: SmcSocket['mode'], reason?: number): SmcSocket => ({
  state: 'ACTIVE',
  peer: '192.168.0.12:8080',
  mode,
  reason,
  peerReason: undefined,
});
