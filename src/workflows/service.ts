/**
 * install-service / uninstall-service on a live node or into an image root: read what is there (systemctl
 * present, current files and enablement), plan (core/service-plan), and run the plan through the executor —
 * all or nothing. Starting the unit (--now) runs after it: a failed start keeps the install and is reported.
 */
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { renderHotplugUnit, renderUdevRule } from '../core/hotplug.js';
import { planInstall, planUninstall, servicePaths, type FileResult, type LegacyResult } from '../core/service-plan.js';
import { LEGACY_UNIT_NAME, renderUnit, UNIT_NAME, type UnitOptions } from '../core/unit.js';
import { METRICS_TIMER_NAME, renderMetricsService, renderMetricsTimer } from '../core/metrics-unit.js';
import { EffectsFailed } from '../host/executor.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';

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
  /** The metrics service and timer, together (install: only with --metrics). */
  metrics?: FileResult;
  /** Every change made (or, under --dry-run, that would be made), in order. */
  changes: string[];
  /** --now: the unit is installed and enabled, but starting it failed (why). */
  startError?: string;
  unit?: string;
}

/** Live needs root; an image root needs only a directory we may write. */
function checkTarget(host: Host, o: ServiceOptions, what: string): void {
  if (o.root === undefined) {
    host.changes.mayChange(what);
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

export async function installService(
  host: Host,
  o: ServiceOptions & { keepLegacy: boolean; unit: UnitOptions; metrics?: { textfileDir: string } },
  log: Logger,
): Promise<ServiceReport> {
  checkTarget(host, o, 'install-service');
  const paths = servicePaths(o.root);
  const desired = renderUnit(o.unit);
  // Read-only questions first: a missing systemctl fails here, before anything is written.
  const enabled = await host.unitEnabled(UNIT_NAME, o.root);
  const legacyEnabled = o.keepLegacy ? undefined : await host.unitEnabled(LEGACY_UNIT_NAME, o.root);
  const metrics = o.metrics && {
    files: [
      observed(host, paths.metricsService, renderMetricsService({ exec: o.unit.exec, ...o.metrics })),
      observed(host, paths.metricsTimer, renderMetricsTimer()),
    ],
    timerEnabled: await host.unitEnabled(METRICS_TIMER_NAME, o.root),
  };
  if (o.metrics && !host.isDirectory(join(o.root ?? '/', o.metrics.textfileDir))) {
    // Not refused: node_exporter may come later. Until DIR exists the sandbox cannot mount it and each run fails.
    log.warn(`${o.metrics.textfileDir} does not exist yet: create it (or install node_exporter) for the metrics`);
  }
  const plan = planInstall({
    root: o.root,
    unit: observed(host, paths.unit, desired),
    hotplug: [observed(host, paths.template, renderHotplugUnit(o.unit)), observed(host, paths.rule, renderUdevRule())],
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
    metrics: {
      files: [file(paths.metricsService), file(paths.metricsTimer)],
      timerEnabled: await host.unitEnabled(METRICS_TIMER_NAME, o.root),
    },
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
    metrics: plan.metrics,
    changes,
  };
}
