/**
 * install-service / uninstall-service on a live node or into an image root. Reads first (systemctl present,
 * current state), then changes; a failure after the unit file was written puts the old file back.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { LEGACY_UNIT_NAME, renderUnit, UNIT_NAME, type UnitOptions } from '../core/unit.js';
import { writeFileAtomic } from '../host/atomic-file.js';
import { requireRoot } from '../host/privileges.js';
import type { Runner } from '../host/runner.js';
import { Systemctl } from '../host/systemd.js';
import type { Logger } from '../ui/logger.js';
import { installHotplugFiles, removeHotplugFiles, type HotplugChange, type HotplugResult } from './hotplug-files.js';

export interface ServiceOptions {
  root: string | undefined;
  now: boolean;
}

export type UnitFileResult = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';
export type LegacyResult = 'disabled' | 'kept' | 'not-enabled';

export interface ServiceReport {
  command: 'install-service' | 'uninstall-service';
  dryRun: boolean;
  root: string | null;
  unitPath: string;
  unitFile: UnitFileResult;
  enabled: boolean;
  started: boolean;
  stopped: boolean;
  legacy: LegacyResult;
  /** The hot-plug template unit and udev rule, together. */
  hotplug: HotplugResult;
  /** Every change made (or, under --dry-run, that would be made), in order. */
  changes: string[];
  unit?: string;
}

export function unitDir(root: string | undefined): string {
  return join(root ?? '/', 'etc/systemd/system');
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Live needs root; an image root needs only a directory we may write. */
function checkTarget(o: ServiceOptions, what: string, dryRun: boolean): void {
  if (o.root === undefined) {
    if (!dryRun) requireRoot(what);
    return;
  }
  if (o.now) throw new ExitError('usage', '--now starts or stops the unit on this node and cannot be combined with --root');
  let isDir = false;
  try {
    isDir = statSync(o.root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new ExitError('usage', `--root ${o.root}: not a directory`, 'give the image root, e.g. --root /mnt/image');
}

function writeUnitFile(path: string, content: string): void {
  try {
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o755 });
    writeFileAtomic(path, content, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ExitError('apply', `cannot write ${path}: ${code}; nothing was changed`, code === 'EACCES' || code === 'EROFS' ? 'is the root writable by this user?' : undefined);
  }
}

function restoreUnitFile(path: string, previous: string | undefined): void {
  if (previous === undefined) rmSync(path, { force: true });
  else writeFileAtomic(path, previous, 0o644);
}

export async function installService(runner: Runner, o: ServiceOptions & { keepLegacy: boolean; unit: UnitOptions }, log: Logger): Promise<ServiceReport> {
  checkTarget(o, 'install-service', runner.dryRun);
  const systemctl = new Systemctl(runner, o.root);
  const unitPath = join(unitDir(o.root), UNIT_NAME);
  const desired = renderUnit(o.unit);
  const previous = readIfExists(unitPath);
  // Read-only questions first: a missing systemctl fails here, before anything is written.
  const wasEnabled = (await systemctl.isEnabled(UNIT_NAME)) === 'enabled';
  const legacyState = o.keepLegacy ? 'kept' : await systemctl.isEnabled(LEGACY_UNIT_NAME);

  const changes: string[] = [];
  const unitFile: UnitFileResult = previous === undefined ? 'created' : previous === desired ? 'unchanged' : 'updated';
  if (unitFile !== 'unchanged') {
    changes.push(`write ${unitPath} (mode 0644)`);
    if (!runner.dryRun) writeUnitFile(unitPath, desired);
  }
  let hotplug: HotplugChange | undefined;
  try {
    hotplug = installHotplugFiles(unitDir(o.root), o.root, o.unit, runner.dryRun);
    changes.push(...hotplug.changes);
    if ((unitFile !== 'unchanged' || hotplug.result !== 'unchanged') && !o.root) {
      changes.push(await systemctl.change('daemon-reload'));
    }
    let legacy: LegacyResult = legacyState === 'kept' ? 'kept' : 'not-enabled';
    if (legacyState === 'enabled') {
      changes.push(await systemctl.change('disable', LEGACY_UNIT_NAME));
      log.warn(`disabled the old ${LEGACY_UNIT_NAME} so it does not fight ${UNIT_NAME} at boot (its file is kept)`);
      legacy = 'disabled';
    }
    if (!wasEnabled) {
      changes.push(await systemctl.change('enable', UNIT_NAME));
    }
    let started = false;
    if (o.now) {
      // A changed unit must run again with its new options; an unchanged active one needs nothing.
      const verb = unitFile === 'unchanged' ? 'start' : 'restart';
      changes.push(await systemctl.change(verb, UNIT_NAME));
      started = true;
    }
    return {
      command: 'install-service', dryRun: runner.dryRun, root: o.root ?? null, unitPath, unitFile, enabled: true, started,
      stopped: false, legacy, hotplug: hotplug.result, changes, unit: desired,
    };
  } catch (e) {
    if (!runner.dryRun) {
      hotplug?.restore();
      if (unitFile !== 'unchanged') restoreUnitFile(unitPath, previous);
      const rewritten = unitFile !== 'unchanged' || (hotplug !== undefined && hotplug.result !== 'unchanged');
      if (rewritten && !o.root) await systemctl.change('daemon-reload').catch(() => undefined);
    }
    throw e;
  }
}

export async function uninstallService(runner: Runner, o: ServiceOptions, log: Logger): Promise<ServiceReport> {
  checkTarget(o, 'uninstall-service', runner.dryRun);
  const systemctl = new Systemctl(runner, o.root);
  const unitPath = join(unitDir(o.root), UNIT_NAME);
  const enabledState = await systemctl.isEnabled(UNIT_NAME);
  const present = existsSync(unitPath);
  const changes: string[] = [];
  let stopped = false;
  if (o.now && present) {
    changes.push(await systemctl.change('stop', UNIT_NAME));
    stopped = true;
  }
  if (enabledState === 'enabled') {
    changes.push(await systemctl.change('disable', UNIT_NAME));
  }
  const hotplug = removeHotplugFiles(unitDir(o.root), o.root, runner.dryRun);
  changes.push(...hotplug.changes);
  if (present) {
    changes.push(`remove ${unitPath}`);
    if (!runner.dryRun) rmSync(unitPath, { force: true });
  }
  if ((present || hotplug.result === 'removed') && !o.root) changes.push(await systemctl.change('daemon-reload'));
  if (changes.length === 0) log.verbose(`${UNIT_NAME} is not installed${o.root ? ` in ${o.root}` : ''}`);
  return {
    command: 'uninstall-service',
    dryRun: runner.dryRun,
    root: o.root ?? null,
    unitPath,
    unitFile: present ? 'removed' : 'absent',
    enabled: false,
    started: false,
    stopped,
    legacy: 'kept',
    hotplug: hotplug.result,
    changes,
  };
}
