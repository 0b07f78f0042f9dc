/** The Host of a real node: tools through the one runner, files through node:fs, changes through the executor. */
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { installArgv, systemctlArgv, UNIT_FILE_MODE, type Effect } from '../core/effects.js';
import type { Deadline } from '../core/deadline.js';
import type { Action } from '../core/nic-plan.js';
import type { NetnsTarget } from '../core/netns.js';
import { ExitError } from '../exit-codes.js';
import { RandomSourceMissing, writeFileAtomic } from './atomic-file.js';
import { systemClock } from './clock.js';
import { readErdmaPci } from './erdma-pci.js';
import { Executor, type Backend, type Privilege } from './executor.js';
import type { Host, MetadataSource } from './host.js';
import { existsInRoot, homeDirectory, installedPaths, isDirectory, realPath } from './install-paths.js';
import { applyAction, applyBatch, observe, promotesSecondaries } from './iproute.js';
import { takeSigint } from './interrupt.js';
import { lockHeld } from './lock.js';
import { MetadataClient } from './metadata.js';
import * as facts from './node-facts.js';
import { listNetns, readNetns } from './netns.js';
import { openRecord, recordPath, writeOwned } from './owned-state.js';
import * as packages from './packages.js';
import { acquireLock } from './lock.js';
import { hasNetAdmin, isRoot } from './privileges.js';
import { listRdmaPorts } from './rdma.js';
import { inspectFile } from './regular-file.js';
import { resolveInRoot } from './rooted-path.js';
import { firstLine, type Runner } from './runner.js';
import { readSysconfig, sysconfigPath } from './sysconfig.js';
import { unitFileMayExist } from './unit-files.js';

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

export interface NodeHostOptions {
  dryRun: boolean;
  /** Stream yum's own output to stderr (--verbose). */
  streamInstall: boolean;
  confirm: (question: string, yes: boolean) => Promise<void>;
}

function writeUnitFile(path: string, content: string): void {
  try {
    writeFileAtomic(path, content, UNIT_FILE_MODE, { createDirs: true });
  } catch (e) {
    if (e instanceof RandomSourceMissing) {
      const hint =
        'mount /dev where this runs (a chroot needs mount --bind /dev IMG/dev), or use --root IMG from outside';
      throw new ExitError('apply', `cannot write ${path}: ${e.message}`, hint);
    }
    const code = errno(e);
    // The executor adds what was put back ("nothing was changed" when this was the first step).
    const hint = code === 'EACCES' || code === 'EROFS' ? 'is the root writable by this user?' : undefined;
    throw new ExitError('apply', `cannot write ${path}: ${code}`, hint);
  }
}

/** A directory an undone write had made: gone if nothing else is in it now (another file may share it). */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (e) {
    if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(errno(e))) throw e;
  }
}

class NodeBackend implements Backend {
  constructor(
    private readonly runner: Runner,
    private readonly o: NodeHostOptions,
  ) {}

  ipBatch = (actions: Action[]) => applyBatch(this.runner, actions);
  ip = (action: Action) => applyAction(this.runner, action);
  links = async () => (await observe(this.runner)).links;
  hasPrivilege = (privilege: Privilege) => (privilege === 'net-admin' ? hasNetAdmin() : isRoot());
  ownedRecord = (o: { writable: boolean }) => ({ path: recordPath(), record: openRecord({ readOnly: !o.writable }) });
  lock = (deadline: Deadline, onWait: () => void) => acquireLock(deadline, onWait);
  confirm = (question: string, yes: boolean) => this.o.confirm(question, yes);

  private async systemctl(args: string[]): Promise<void> {
    const fail = (r: { stderr: string; stdout: string; exitCode: number }) =>
      new ExitError('apply', `'systemctl ${args.join(' ')}' failed: ${firstLine(r)}`);
    await this.runner.must({ file: 'systemctl', args }, fail);
  }

  async perform(e: Effect): Promise<void> {
    switch (e.kind) {
      case 'write-file':
        return writeUnitFile(e.path, e.content);
      case 'remove-file':
        return rmSync(e.path, { force: true });
      case 'restore-file':
        if (e.content === undefined) rmSync(e.path, { force: true });
        else writeUnitFile(e.path, e.content);
        for (const dir of e.removeDirs ?? []) removeIfEmpty(dir);
        if (e.reload) await this.systemctl(['daemon-reload']);
        return;
      case 'systemctl':
        return this.systemctl(systemctlArgv(e));
      case 'write-record':
        return writeOwned(e.record, e.path);
      case 'write-last-setup':
        // A note of the outcome in /run, read by metrics: whole or absent, but not worth an fsync.
        return writeFileAtomic(e.path, `${JSON.stringify(e.outcome)}\n`, 0o644, { durable: false });
      case 'install-package':
        return packages.install(this.runner, e.tool, installArgv(e).slice(1), this.o.streamInstall);
      case 'reboot':
        return packages.reboot(this.runner);
    }
  }
}

export class NodeHost implements Host {
  readonly changes: Executor;
  readonly clock = systemClock;

  constructor(
    private readonly runner: Runner,
    o: NodeHostOptions,
  ) {
    this.changes = new Executor(new NodeBackend(runner, o), o.dryRun);
  }

  observe = () => observe(this.runner);
  rdmaPorts = () => listRdmaPorts(this.runner);
  erdmaPci = () => readErdmaPci();
  promotesSecondaries = (dev: string) => promotesSecondaries(dev);
  metadata = (o: ConstructorParameters<typeof MetadataClient>[0]): MetadataSource => new MetadataClient(o);

  readFile(path: string): string | undefined {
    const state = inspectFile(path, { follow: true });
    switch (state.kind) {
      case 'absent':
        return undefined;
      case 'regular':
        return state.content;
      case 'not-regular':
        throw new Error(`${path} is ${state.what}, not a regular file`);
      case 'unreadable':
        if (state.code === 'ENOTDIR') return undefined;
        throw new Error(`cannot read ${path}: ${state.code}`);
    }
  }

  fileState = (path: string) => inspectFile(path, { follow: false });
  inRoot = (root: string, path: string) => resolveInRoot(root, path);

  exists = (path: string) => existsSync(path);

  isDirectory = (path: string) => isDirectory(path);

  /**
   * A unit with no file is not-found without asking, unless systemctl is missing: then it is run, so the missing
   * tool is reported at the first question (install-service asks before it writes anything).
   */
  async unitEnabled(unit: string, root?: string): Promise<string> {
    if (!unitFileMayExist(unit, root) && facts.findTool('systemctl')) return 'not-found';
    const r = await this.runner.run({
      file: 'systemctl',
      args: [...(root ? [`--root=${root}`] : []), 'is-enabled', unit],
    });
    const word = r.stdout.trim().split('\n')[0] ?? '';
    return word !== '' ? word : r.exitCode === 0 ? 'enabled' : 'not-found';
  }

  /**
   * A service with no unit file anywhere is inactive without asking, as systemctl would say (only a service whose
   * file was deleted while it ran is missed). Other unit types (mounts, scopes) can be active without a file.
   */
  async unitActive(unit: string): Promise<string> {
    if (unit.endsWith('.service') && !unitFileMayExist(unit, undefined)) return 'inactive';
    const r = await this.runner.run({ file: 'systemctl', args: ['is-active', unit] });
    return r.stdout.trim() || 'unknown';
  }

  async networkManagerDevices(): Promise<Map<string, string> | undefined> {
    if ((await this.unitActive('NetworkManager.service')) !== 'active') return undefined;
    const r = await this.runner.run({ file: 'nmcli', args: ['-t', '-f', 'DEVICE,STATE', 'device', 'status'] });
    if (r.exitCode !== 0) throw new Error(`nmcli failed: ${r.stderr.trim()}`);
    return new Map(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(':') as [string, string]),
    );
  }

  runInProgress = () => lockHeld();
  takeSigint = () => takeSigint();

  terwayPresent(): boolean {
    try {
      return readdirSync('/etc/cni/net.d').some((f) => /terway/i.test(f));
    } catch {
      return false;
    }
  }

  runningKernel = () => packages.runningKernel(this.runner);
  installedKernels = () => packages.installedKernels(this.runner);
  kernelsAndHotfix = (hotfix: string) => packages.kernelsAndHotfix(this.runner, hotfix);
  isInstalled = (name: string) => packages.isInstalled(this.runner, name);
  availableKernels = () => packages.availableKernels(this.runner);
  repoPackages = (name: string) => packages.repoPackages(this.runner, name);
  defaultBootKernel = () => packages.defaultBootKernel(this.runner);
  packageTool = () => packages.packageTool();

  smcFacts = () => facts.smcFacts();
  smcPresent = () => facts.smcPresent();
  erdmaDriverFacts = (listed: boolean) => facts.erdmaDriverFacts(listed);
  rpFilterFacts = (nics: string[]) => facts.rpFilterFacts(nics);
  tcpListeners = () => facts.tcpListeners();
  findTool = (name: string) => facts.findTool(name);
  cores = () => availableParallelism();
  netNamespaces = () => listNetns();
  inNetns = (target: NetnsTarget, o: { smcss?: string; deadline: Deadline }) => readNetns(this.runner, target, o);
  killedTools = () => [...this.runner.killed];
  installedPaths = () => installedPaths();
  existsInRoot = (root: string, path: string) => existsInRoot(root, path);
  realPath = (path: string) => realPath(path);
  homeDirectory = () => homeDirectory();
  sysconfig = (root: string | undefined) => readSysconfig(sysconfigPath(root)).entries;
}
