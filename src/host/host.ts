/**
 * Everything a workflow reads from the node, and the one executor through which it changes it. Workflows take
 * a Host as a parameter: node-host.ts is the real one (every read bounded by the run's deadline through the
 * runner); tests pass an in-memory one (test/helpers/fake-host.ts) with the same executor.
 */
import type { KernelRelease } from '../core/kernel-release.js';
import type { Listener } from '../core/proc-net-tcp.js';
import type { RdmaPort } from '../core/rdma-links.js';
import type { ErdmaDriverFacts, RpFilterFacts, SmcFacts } from '../core/smc-readiness.js';
import type { SmcSocket } from '../core/smcss.js';
import type { SysconfigEntry, SysconfigKey } from '../core/sysconfig.js';
import type { Deadline } from '../core/deadline.js';
import type { ErdmaPci } from '../core/boot-wait.js';
import type { FileState } from '../core/file-state.js';
import type { Clock } from './clock.js';
import type { Executor, LinkOutcome, Privilege } from './executor.js';
import type { Observation } from './iproute.js';
import type { RootedPath } from './rooted-path.js';

export type { Clock, LinkOutcome, Observation, Privilege };

/** The metadata server, for one run: the token round trip starts early, every request ends by close(). */
export interface MetadataSource {
  prefetchToken(): void;
  /** Every path's answer, or a MetadataError naming the first path that failed. */
  getAll(paths: string[]): Promise<Map<string, string>>;
  close(): void;
}

export interface Host {
  /** The only way to change the node, and the one place that knows whether this run may (dry-run, privileges). */
  readonly changes: Executor;
  /** Time for waiting workflows (the boot wait polls and settles by it). */
  readonly clock: Clock;

  /** `ip -j addr` and the main IPv4 routing table. */
  observe(): Promise<Observation>;
  /** `rdma link show`; RdmaUnavailable when there is no RDMA netlink yet (the driver not loaded). */
  rdmaPorts(): Promise<RdmaPort[]>;
  /** The eRDMA functions of the PCI tree and the erdma driver's state (sysfs), for the boot wait. */
  erdmaPci(): ErdmaPci;
  promotesSecondaries(dev: string): boolean;
  metadata(o: { baseUrl: string; deadline: Deadline; trace?: (line: string) => void }): MetadataSource;

  /** A file's text (a link followed); undefined when there is none; not a regular file or unreadable: thrown. */
  readFile(path: string): string | undefined;
  /** What is at a path that may be written, replaced or removed (a symbolic link there is not followed). */
  fileState(path: string): FileState;
  /** `path` resolved inside an image root, as if the root were `/` (host/rooted-path.ts). */
  inRoot(root: string, path: string): RootedPath;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** `systemctl is-enabled` (under `root` for an image): enabled, disabled, static… or not-found. */
  unitEnabled(unit: string, root?: string): Promise<string>;
  unitActive(unit: string): Promise<string>;
  /** NetworkManager's device states, or undefined when it is not running. */
  networkManagerDevices(): Promise<Map<string, string> | undefined>;
  terwayPresent(): boolean;

  runningKernel(): Promise<KernelRelease>;
  installedKernels(): Promise<KernelRelease[]>;
  kernelsAndHotfix(hotfix: string): Promise<{ kernels: KernelRelease[]; hotfix: boolean }>;
  isInstalled(name: string): Promise<boolean>;
  availableKernels(): Promise<KernelRelease[]>;
  repoPackages(name: string): Promise<string[]>;
  defaultBootKernel(): Promise<KernelRelease | undefined>;
  packageTool(): 'yum' | 'dnf';

  smcFacts(): SmcFacts;
  smcPresent(): boolean;
  erdmaDriverFacts(devicesListed: boolean): ErdmaDriverFacts;
  rpFilterFacts(nics: string[]): RpFilterFacts;
  tcpListeners(): Listener[];
  /** A tool we run: on PATH, else in /usr/sbin or /sbin. */
  findTool(name: string): string | undefined;
  smcSockets(smcss: string): Promise<SmcSocket[]>;
  /** Tools this run killed at its deadline, in order (status marks their checks, then exits 9). */
  killedTools(): readonly string[];
  /** How this CLI is started (real paths), for the boot unit's ExecStart. */
  installedPaths(): { exec: string[] };
  /** Something at `path` inside `root` ('/' for this node), a dangling link included. */
  existsInRoot(root: string, path: string): boolean;
  /** The real path (links resolved), or undefined when there is nothing there. */
  realPath(path: string): string | undefined;
  homeDirectory(): string | undefined;
  /** /etc/sysconfig/asm-erdma's checked entries (the image's own under `root`); none when there is no file. */
  sysconfig(root: string | undefined): Map<SysconfigKey, SysconfigEntry>;
}
