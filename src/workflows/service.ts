/**
 * install-service / uninstall-service on a live node or into an image root: read what is there (the sysconfig
 * file, where asm-erdma lives, systemctl present, current files and enablement), plan (core/service-plan), and
 * run the plan through the executor — all or nothing. Starting the unit (--now) runs after it: a failed start
 * keeps the install and is reported.
 */
import { ExitError } from '../exit-codes.js';
import { contentOf, unusableFile } from '../core/file-state.js';
import { renderHotplugUnit, renderUdevRule } from '../core/hotplug.js';
import {
  inDirs,
  missingDirs,
  planInstall,
  planUninstall,
  RULES_DIR,
  servicePaths,
  TIMER_WANTS_DIR,
  UNIT_DIR,
  WANTS_DIR,
  type FileResult,
  type LegacyResult,
  type ServicePaths,
} from '../core/service-plan.js';
import { LEGACY_UNIT_NAME, renderUnit, UNIT_NAME, type UnitOptions } from '../core/unit.js';
import type { Effect } from '../core/effects.js';
import { METRICS_TIMER_NAME, renderMetricsService, renderMetricsTimer, textfileDirIn } from '../core/metrics-unit.js';
import { EffectsFailed } from '../host/host-errors.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { execForRoot } from './exec-path.js';

export interface ServiceOptions {
  root: string | undefined;
  now: boolean;
  /** uninstall-service: remove the files even when stopping the unit or reloading systemd fails. */
  keepGoing?: boolean;
}

export interface ServiceReport {
  command: 'install-service' | 'uninstall-service';
  root: string | null;
  unitPath: string;
  unitFile: FileResult;
  enabled: boolean;
  started: boolean;
  stopped: boolean;
  legacy: LegacyResult;
  /** The hot-plug template unit and udev rule, together. */
  hotplug: FileResult;
  /** The metrics service and timer, together (install: only with --metrics). */
  metrics?: FileResult;
  /** Every change made (or, under --dry-run, that would be made), in order. */
  changes: string[];
  /** --now: the unit is installed and enabled, but starting it failed (why). */
  startError?: string;
  /** --keep-going: the files are removed, but stopping the unit or reloading systemd failed (why). */
  stopError?: string;
  unit?: string;
}

/** Live needs root; an image root needs only a directory we may write. */
function checkTarget(host: Host, o: ServiceOptions, what: string): void {
  if (o.root === undefined) {
    host.changes.requirePrivilege('root', what);
    return;
  }
  if (o.now) {
    throw new ExitError('usage', '--now starts or stops the unit on this node and cannot be combined with --root');
  }
  if (!host.isDirectory(o.root)) {
    throw new ExitError('usage', `--root ${o.root}: not a directory`, 'give the image root, e.g. --root /mnt/image');
  }
}

/**
 * Where the files go. Under --root every directory is resolved inside the image, links followed as if it were `/`
 * (never above it). systemctl --root=IMG, which enable and disable run, resolves the unit directory the plain way:
 * where that would lead out of the image (an absolute link, or `..` above it) the run is refused, since systemctl
 * would create or remove links on this machine.
 */
function locate(host: Host, root: string | undefined): ServicePaths {
  if (root === undefined) return servicePaths(undefined);
  const resolve = (path: string, systemctlToo: boolean): string => {
    const r = host.inRoot(root, path);
    if (!r.ok) throw new ExitError('apply', `--root ${root}: ${r.reason}; nothing was changed`, 'fix the image');
    if (systemctlToo && r.kernelLeaves) {
      const { link, target } = r.kernelLeaves;
      throw new ExitError(
        'apply',
        `--root ${root}: ${link} links to ${target}, which systemctl --root would follow out of the image; ` +
          'nothing was changed',
        'make it a directory, or a relative link that stays inside the image',
      );
    }
    return r.path;
  };
  resolve(WANTS_DIR, true);
  resolve(TIMER_WANTS_DIR, true);
  return inDirs(resolve(UNIT_DIR, true), resolve(RULES_DIR, false));
}

/**
 * The content of a file about to be written, replaced or removed; undefined when there is none. Anything that
 * could not be put back as it was — unreadable, a FIFO, a device, a directory, a link — is refused first.
 */
function previousOf(host: Host, path: string): string | undefined {
  const state = host.fileState(path);
  const refusal = unusableFile(path, state);
  if (refusal) throw new ExitError('apply', refusal.message, refusal.hint);
  return contentOf(state);
}

const observed = (host: Host, path: string, desired: string) => {
  const previous = previousOf(host, path);
  const missing = previous === undefined ? missingDirs(path, (dir) => host.isDirectory(dir)) : [];
  return { path, desired, previous, ...(missing.length > 0 ? { missingDirs: missing } : {}) };
};

export interface InstallOptions extends ServiceOptions {
  keepLegacy: boolean;
  /** --exec: where asm-erdma lives on the target; undefined: how this CLI runs now. */
  exec: string | undefined;
  /** The flags written into ExecStart. */
  flags: Omit<UnitOptions, 'exec' | 'bootTimeoutSeconds'>;
  /** --metrics: also the metrics service (writing into this textfile directory) and its timer. */
  metrics?: { textfileDir: string };
}

/**
 * The unit as it will be written: the boot-time setup reads the sysconfig file (the image's own under --root),
 * so only flags go into ExecStart, and TimeoutStartSec follows the file's timeout as it is now.
 */
function unitFor(host: Host, o: InstallOptions): UnitOptions {
  const bootTimeout = host.sysconfig(o.root).get('ASM_ERDMA_TIMEOUT');
  return {
    exec: execForRoot(host, o.root, o.exec),
    ...o.flags,
    // The file's values were checked when it was read.
    ...(bootTimeout !== undefined ? { bootTimeoutSeconds: Number(bootTimeout.raw) } : {}),
  };
}

export async function installService(host: Host, o: InstallOptions, log: Logger): Promise<ServiceReport> {
  const unit = unitFor(host, o);
  checkTarget(host, o, 'install-service');
  const paths = locate(host, o.root);
  const desired = renderUnit(unit);
  const unitFile = observed(host, paths.unit, desired);
  const hotplug = [
    observed(host, paths.template, renderHotplugUnit(unit)),
    observed(host, paths.rule, renderUdevRule()),
  ];
  // Read-only questions first: a missing systemctl fails here, before anything is written.
  const enabled = await host.unitEnabled(UNIT_NAME, o.root);
  const legacyEnabled = o.keepLegacy ? undefined : await host.unitEnabled(LEGACY_UNIT_NAME, o.root);
  const metrics = o.metrics && {
    files: [
      observed(host, paths.metricsService, renderMetricsService({ exec: unit.exec, ...o.metrics })),
      observed(host, paths.metricsTimer, renderMetricsTimer()),
    ],
    timerEnabled: await host.unitEnabled(METRICS_TIMER_NAME, o.root),
  };
  if (o.metrics && !host.isDirectory(textfileDirIn(o.root, o.metrics.textfileDir))) {
    // Not refused: node_exporter may come later. Until DIR exists the sandbox cannot mount it and each run fails.
    log.warn(`${o.metrics.textfileDir} does not exist yet: create it (or install node_exporter) for the metrics`);
  }
  const plan = planInstall({
    root: o.root,
    unit: unitFile,
    hotplug,
    enabled,
    legacyEnabled,
    ...(metrics ? { metrics } : {}),
  });
  const { changes, applied } = await host.changes.apply(plan.effects);
  if (plan.legacy === 'disabled' && applied) {
    log.warn(`disabled the old ${LEGACY_UNIT_NAME} so it does not fight ${UNIT_NAME} at boot (its file is kept)`);
  }
  let started = false;
  let startError: string | undefined;
  if (o.now) {
    // A changed unit must run again with its new options; an unchanged active one needs nothing.
    const verb = plan.unitFile === 'unchanged' ? 'start' : 'restart';
    try {
      const start = await host.changes.apply([
        { kind: 'systemctl', verb, unit: UNIT_NAME },
        ...(metrics ? [{ kind: 'systemctl', verb: 'start', unit: METRICS_TIMER_NAME } as const] : []),
      ]);
      changes.push(...start.changes);
      started = start.applied;
    } catch (e) {
      const cause = e instanceof EffectsFailed ? e.reason : e;
      startError = cause instanceof Error ? cause.message : String(cause);
    }
  }
  return {
    command: 'install-service',
    root: o.root ?? null,
    unitPath: paths.unit,
    unitFile: plan.unitFile,
    enabled: true,
    started,
    stopped: false,
    legacy: plan.legacy,
    hotplug: plan.hotplug,
    ...(plan.metrics ? { metrics: plan.metrics } : {}),
    changes,
    ...(startError ? { startError } : {}),
    unit: desired,
  };
}

export async function uninstallService(host: Host, o: ServiceOptions, log: Logger): Promise<ServiceReport> {
  checkTarget(host, o, 'uninstall-service');
  const paths = locate(host, o.root);
  const file = (path: string) => {
    const previous = previousOf(host, path);
    return { path, previous, exists: previous !== undefined };
  };
  const unit = file(paths.unit);
  const hotplug = [file(paths.template), file(paths.rule)];
  const metrics = [file(paths.metricsService), file(paths.metricsTimer)];
  const enabled = await host.unitEnabled(UNIT_NAME, o.root);
  const plan = planUninstall({
    root: o.root,
    unit,
    hotplug,
    enabled,
    stop: o.now,
    metrics: { files: metrics, timerEnabled: await host.unitEnabled(METRICS_TIMER_NAME, o.root) },
  });
  const { changes, stopError } = o.keepGoing
    ? await applyKeepGoing(host, plan.effects)
    : { ...(await host.changes.apply(plan.effects)), stopError: undefined };
  if (changes.length === 0) log.verbose(`${UNIT_NAME} is not installed${o.root ? ` in ${o.root}` : ''}`);
  return {
    command: 'uninstall-service',
    root: o.root ?? null,
    unitPath: paths.unit,
    unitFile: plan.unitFile,
    enabled: false,
    started: false,
    stopped: o.now && plan.unitFile === 'removed' && stopError === undefined,
    legacy: 'kept',
    hotplug: plan.hotplug,
    metrics: plan.metrics,
    changes,
    ...(stopError ? { stopError } : {}),
  };
}

/** Asks the running service manager, which an image, a chroot without /proc or a container does not have. */
const managerVerb = (e: Effect, verb: 'stop' | 'daemon-reload'): boolean => e.kind === 'systemctl' && e.verb === verb;

/**
 * uninstall-service --keep-going (the RPM's %preun): the stop and the daemon-reload are tried on their own, and
 * their failure does not keep the files from going (disable and the removals are still all or nothing).
 */
async function applyKeepGoing(host: Host, effects: Effect[]): Promise<{ changes: string[]; stopError?: string }> {
  const changes: string[] = [];
  const errors: string[] = [];
  const tryAlone = async (e: Effect): Promise<void> => {
    try {
      changes.push(...(await host.changes.apply([e])).changes);
    } catch (x) {
      const cause = x instanceof EffectsFailed ? x.reason : x;
      errors.push(cause instanceof Error ? cause.message : String(cause));
    }
  };
  for (const e of effects.filter((x) => managerVerb(x, 'stop'))) await tryAlone(e);
  const files = effects.filter((x) => !managerVerb(x, 'stop') && !managerVerb(x, 'daemon-reload'));
  changes.push(...(await host.changes.apply(files)).changes);
  for (const e of effects.filter((x) => managerVerb(x, 'daemon-reload'))) await tryAlone(e);
  return { changes, ...(errors.length > 0 ? { stopError: errors.join('; ') } : {}) };
}
