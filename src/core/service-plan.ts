/**
 * install-service / uninstall-service as effects, from what was observed (file contents, enablement). The
 * install (files, reload, old unit disabled, enable) is all or nothing when the executor runs it; starting the
 * unit (--now) is planned separately because a failed start keeps the install.
 */
import { dirname, join } from 'node:path/posix';
import type { Effect } from './effects.js';
import { HOTPLUG_TEMPLATE_NAME, UDEV_RULE_NAME } from './hotplug.js';
import { METRICS_SERVICE_NAME, METRICS_TIMER_NAME } from './metrics-unit.js';
import { LEGACY_UNIT_NAME, UNIT_NAME } from './unit.js';

export type FileResult = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';
export type LegacyResult = 'disabled' | 'kept' | 'not-enabled';

/** The directories install-service writes into, relative to the root; systemctl enable links in the *.wants. */
export const UNIT_DIR = 'etc/systemd/system';
export const WANTS_DIR = `${UNIT_DIR}/multi-user.target.wants`;
/** Where enabling the metrics timer links it (WantedBy=timers.target). */
export const TIMER_WANTS_DIR = `${UNIT_DIR}/timers.target.wants`;
export const RULES_DIR = 'etc/udev/rules.d';

export const unitDir = (root: string | undefined): string => join(root ?? '/', UNIT_DIR);

export interface ServicePaths {
  unit: string;
  template: string;
  rule: string;
  metricsService: string;
  metricsTimer: string;
}

/** The paths in `root` as written; under an image root the workflow resolves the directories inside it first. */
export function servicePaths(root: string | undefined): ServicePaths {
  return inDirs(unitDir(root), join(root ?? '/', RULES_DIR));
}

export const inDirs = (units: string, rules: string): ServicePaths => ({
  unit: join(units, UNIT_NAME),
  metricsService: join(units, METRICS_SERVICE_NAME),
  metricsTimer: join(units, METRICS_TIMER_NAME),
  template: join(units, HOTPLUG_TEMPLATE_NAME),
  rule: join(rules, UDEV_RULE_NAME),
});

export interface ObservedFile {
  path: string;
  /** Its content now; undefined when there is no such file. */
  previous: string | undefined;
  /** Directories above it that do not exist yet, outermost first (an image root without /etc/udev/rules.d). */
  missingDirs?: string[];
}

/** Directories above `path` that `isDirectory` says are missing, outermost first: what writing it creates. */
export function missingDirs(path: string, isDirectory: (dir: string) => boolean): string[] {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== dirname(dir) && !isDirectory(dir); dir = dirname(dir)) missing.unshift(dir);
  return missing;
}

export interface InstallObserved {
  root: string | undefined;
  unit: ObservedFile & { desired: string };
  /** The hot-plug template unit and udev rule. */
  hotplug: (ObservedFile & { desired: string })[];
  /** `systemctl is-enabled` of our unit and (undefined with --keep-legacy) of the old script's unit. */
  enabled: string;
  legacyEnabled: string | undefined;
  /** --metrics: the metrics service and timer files, and whether the timer is enabled. */
  metrics?: { files: (ObservedFile & { desired: string })[]; timerEnabled: string };
}

function fileResult(files: (ObservedFile & { desired: string })[]): FileResult {
  if (files.every((f) => f.previous === f.desired)) return 'unchanged';
  return files.every((f) => f.previous === undefined) ? 'created' : 'updated';
}

const reload = (root: string | undefined): Effect[] =>
  root === undefined ? [{ kind: 'systemctl', verb: 'daemon-reload' }] : [];
const withRoot = (root: string | undefined) => (root === undefined ? {} : { root });

export function planInstall(o: InstallObserved): {
  effects: Effect[];
  unitFile: FileResult;
  hotplug: FileResult;
  legacy: LegacyResult;
  metrics: FileResult | undefined;
} {
  const stale = [o.unit, ...o.hotplug, ...(o.metrics?.files ?? [])].filter((f) => f.previous !== f.desired);
  // Undone newest first: only the oldest file's undo reloads systemd, once, after every file is back.
  const files: Effect[] = stale.map((f, i) => ({
    kind: 'write-file',
    path: f.path,
    content: f.desired,
    previous: f.previous,
    reloadOnUndo: i === 0 && o.root === undefined,
    ...(f.missingDirs?.length ? { makesDirs: f.missingDirs } : {}),
  }));
  const legacy: LegacyResult =
    o.legacyEnabled === undefined ? 'kept' : o.legacyEnabled === 'enabled' ? 'disabled' : 'not-enabled';
  const effects: Effect[] = [
    ...files,
    ...(files.length > 0 ? reload(o.root) : []),
    ...(legacy === 'disabled'
      ? [{ kind: 'systemctl', verb: 'disable', unit: LEGACY_UNIT_NAME, ...withRoot(o.root) } as const]
      : []),
    ...(o.enabled !== 'enabled'
      ? [{ kind: 'systemctl', verb: 'enable', unit: UNIT_NAME, ...withRoot(o.root) } as const]
      : []),
    ...(o.metrics && o.metrics.timerEnabled !== 'enabled'
      ? [{ kind: 'systemctl', verb: 'enable', unit: METRICS_TIMER_NAME, ...withRoot(o.root) } as const]
      : []),
  ];
  const metrics = o.metrics ? fileResult(o.metrics.files) : undefined;
  return { effects, unitFile: fileResult([o.unit]), hotplug: fileResult(o.hotplug), legacy, metrics };
}

export interface UninstallObserved {
  root: string | undefined;
  /** Our unit file, the hot-plug template and the udev rule (an unreadable one is refused before planning). */
  unit: ObservedFile & { exists: boolean };
  hotplug: (ObservedFile & { exists: boolean })[];
  enabled: string;
  /** --now: stop the unit first. */
  stop: boolean;
  /** The metrics service and timer files (installed or not), and whether the timer is enabled. */
  metrics: { files: (ObservedFile & { exists: boolean })[]; timerEnabled: string };
}

export function planUninstall(o: UninstallObserved): {
  effects: Effect[];
  unitFile: FileResult;
  hotplug: FileResult;
  metrics: FileResult;
} {
  const metricsFiles = o.metrics.files.filter((f) => f.exists);
  const files = [...metricsFiles, ...o.hotplug, o.unit].filter((f) => f.exists);
  const timerInstalled = metricsFiles.length > 0;
  const effects: Effect[] = [
    // Stopping a oneshot only marks it inactive (there is no ExecStop): nothing to undo. A timer stopped before a
    // failure stays stopped until the next boot (its files and enablement are put back).
    ...(o.stop && timerInstalled ? [{ kind: 'systemctl', verb: 'stop', unit: METRICS_TIMER_NAME } as const] : []),
    ...(o.stop && o.unit.exists ? [{ kind: 'systemctl', verb: 'stop', unit: UNIT_NAME } as const] : []),
    ...(o.metrics.timerEnabled === 'enabled'
      ? [{ kind: 'systemctl', verb: 'disable', unit: METRICS_TIMER_NAME, ...withRoot(o.root) } as const]
      : []),
    ...(o.enabled === 'enabled'
      ? [{ kind: 'systemctl', verb: 'disable', unit: UNIT_NAME, ...withRoot(o.root) } as const]
      : []),
    // Undone newest first: only the oldest removal's undo reloads systemd, once, after every file is back.
    ...files.map(
      (f, i): Effect => ({
        kind: 'remove-file',
        path: f.path,
        previous: f.previous,
        reloadOnUndo: i === 0 && o.root === undefined,
      }),
    ),
    ...(files.length > 0 ? reload(o.root) : []),
  ];
  return {
    effects,
    unitFile: o.unit.exists ? 'removed' : 'absent',
    hotplug: o.hotplug.some((f) => f.exists) ? 'removed' : 'absent',
    metrics: timerInstalled ? 'removed' : 'absent',
  };
}
