/**
 * install-service / uninstall-service on a live node or into an image root: read what is there (the sysconfig
 * file, where asm-erdma lives, systemctl present, current files and enablement), plan (core/service-plan), and
 * run the plan through the executor — all or nothing. Starting the unit (--now) runs after it: a failed start
 * keeps the install and is reported.
 */
import { ExitError } from '../exit-codes.js';
import { renderHotplugUnit, renderUdevRule } from '../core/hotplug.js';
import { planInstall, planUninstall, servicePaths, type FileResult, type LegacyResult } from '../core/service-plan.js';
import { LEGACY_UNIT_NAME, renderUnit, UNIT_NAME, type UnitOptions } from '../core/unit.js';
import { EffectsFailed } from '../host/host-errors.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { execForRoot } from './exec-path.js';

export interface ServiceOptions {
  root: string | undefined;
  now: boolean;
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
  /** Every change made (or, under --dry-run, that would be made), in order. */
  changes: string[];
  /** --now: the unit is installed and enabled, but starting it failed (why). */
  startError?: string;
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

/** A file that cannot be read counts as absent here: it is rewritten (or removed) like one that is not there. */
function contentOf(host: Host, path: string): string | undefined {
  try {
    return host.readFile(path);
  } catch {
    return undefined;
  }
}

const observed = (host: Host, path: string, desired: string) => ({ path, desired, previous: contentOf(host, path) });

export interface InstallOptions extends ServiceOptions {
  keepLegacy: boolean;
  /** --exec: where asm-erdma lives on the target; undefined: how this CLI runs now. */
  exec: string | undefined;
  /** The flags written into ExecStart. */
  flags: Omit<UnitOptions, 'exec' | 'bootTimeoutSeconds'>;
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
  const paths = servicePaths(o.root);
  const desired = renderUnit(unit);
  // Read-only questions first: a missing systemctl fails here, before anything is written.
  const enabled = await host.unitEnabled(UNIT_NAME, o.root);
  const legacyEnabled = o.keepLegacy ? undefined : await host.unitEnabled(LEGACY_UNIT_NAME, o.root);
  const plan = planInstall({
    root: o.root,
    unit: observed(host, paths.unit, desired),
    hotplug: [observed(host, paths.template, renderHotplugUnit(unit)), observed(host, paths.rule, renderUdevRule())],
    enabled,
    legacyEnabled,
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
      const start = await host.changes.apply([{ kind: 'systemctl', verb, unit: UNIT_NAME }]);
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
    changes,
    ...(startError ? { startError } : {}),
    unit: desired,
  };
}

export async function uninstallService(host: Host, o: ServiceOptions, log: Logger): Promise<ServiceReport> {
  checkTarget(host, o, 'uninstall-service');
  const paths = servicePaths(o.root);
  const enabled = await host.unitEnabled(UNIT_NAME, o.root);
  const file = (path: string) => {
    const previous = contentOf(host, path);
    return { path, previous, exists: previous !== undefined || host.exists(path) };
  };
  const plan = planUninstall({
    root: o.root,
    unit: file(paths.unit),
    hotplug: [file(paths.template), file(paths.rule)],
    enabled,
    stop: o.now,
  });
  const { changes } = await host.changes.apply(plan.effects);
  if (changes.length === 0) log.verbose(`${UNIT_NAME} is not installed${o.root ? ` in ${o.root}` : ''}`);
  return {
    command: 'uninstall-service',
    root: o.root ?? null,
    unitPath: paths.unit,
    unitFile: plan.unitFile,
    enabled: false,
    started: false,
    stopped: o.now && plan.unitFile === 'removed',
    legacy: 'kept',
    hotplug: plan.hotplug,
    changes,
  };
}
