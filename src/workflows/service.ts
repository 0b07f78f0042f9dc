/**
 * install-service / uninstall-service on a live node or into an image root. Reads first (systemctl present,
 * current state), then changes through the effects executor: the install (unit file, daemon-reload, the old
 * unit disabled, enable) is all or nothing — a failing step puts back what the earlier ones changed, newest
 * first. Starting the unit (--now) is not part of it: a failed start keeps the install and is reported as such.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { LEGACY_UNIT_NAME, renderUnit, UNIT_NAME, type UnitOptions } from '../core/unit.js';
import { writeFileAtomic } from '../host/atomic-file.js';
import { effect, runEffects, type Effect } from '../host/effects.js';
import { requireRoot } from '../host/privileges.js';
import type { Runner } from '../host/runner.js';
import { Systemctl } from '../host/systemd.js';
import type { Logger } from '../ui/logger.js';
import { hotplugToInstall, hotplugToRemove, readIfExists, type HotplugResult } from './hotplug-files.js';

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
  /** --now: the unit is installed and enabled, but starting it failed (why). */
  startError?: string;
  unit?: string;
}

export function unitDir(root: string | undefined): string {
  return join(root ?? '/', 'etc/systemd/system');
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
    // The executor adds what was put back ("nothing was changed" when this was the first step).
    const hint = code === 'EACCES' || code === 'EROFS' ? 'is the root writable by this user?' : undefined;
    throw new ExitError('apply', `cannot write ${path}: ${code}`, hint);
  }
}

/**
 * Writing the unit file; its inverse puts the previous content back (or removes a file that did not exist) and,
 * on a live node, reloads systemd so it forgets the new unit.
 */
function unitFileEffect(path: string, content: string, previous: string | undefined, reload?: Effect): Effect {
  const what = `${previous === undefined ? 'remove' : 'restore the previous'} ${path}`;
  const restore = (): Effect =>
    effect(`${what}${reload ? `, ${reload.description}` : ''}`, async () => {
      if (previous === undefined) rmSync(path, { force: true });
      else writeFileAtomic(path, previous, 0o644);
      await reload?.run();
    });
  return effect(`write ${path} (mode 0644)`, () => writeUnitFile(path, content), restore);
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

  const unitFile: UnitFileResult = previous === undefined ? 'created' : previous === desired ? 'unchanged' : 'updated';
  const reload = o.root ? undefined : systemctl.verb('daemon-reload');
  const effects: Effect[] = [];
  const hotplug = hotplugToInstall(unitDir(o.root), o.root, o.unit);
  const files = [...(unitFile !== 'unchanged' ? [{ path: unitPath, desired, previous }] : []), ...hotplug.files];
  // Undone newest first: only the oldest file's inverse reloads systemd, once, after every file is back.
  for (const [i, f] of files.entries()) {
    effects.push(unitFileEffect(f.path, f.desired ?? '', f.previous, i === 0 ? reload : undefined));
  }
  if (reload && files.length > 0) effects.push(reload);
  const legacy: LegacyResult = legacyState === 'kept' ? 'kept' : legacyState === 'enabled' ? 'disabled' : 'not-enabled';
  if (legacy === 'disabled') effects.push(systemctl.verb('disable', LEGACY_UNIT_NAME, 'enable'));
  if (!wasEnabled) effects.push(systemctl.verb('enable', UNIT_NAME, 'disable'));
  const changes = await runEffects(effects, runner.dryRun);
  if (legacy === 'disabled' && !runner.dryRun) {
    log.warn(`disabled the old ${LEGACY_UNIT_NAME} so it does not fight ${UNIT_NAME} at boot (its file is kept)`);
  }

  let started = false;
  let startError: string | undefined;
  if (o.now) {
    // A changed unit must run again with its new options; an unchanged active one needs nothing.
    try {
      changes.push(await systemctl.change(unitFile === 'unchanged' ? 'start' : 'restart', UNIT_NAME));
      started = true;
    } catch (e) {
      startError = e instanceof Error ? e.message : String(e);
    }
  }
  return {
    command: 'install-service',
    dryRun: runner.dryRun,
    root: o.root ?? null,
    unitPath,
    unitFile,
    enabled: true,
    started,
    stopped: false,
    legacy,
    hotplug: hotplug.result,
    changes,
    ...(startError ? { startError } : {}),
    unit: desired,
  };
}

export async function uninstallService(runner: Runner, o: ServiceOptions, log: Logger): Promise<ServiceReport> {
  checkTarget(o, 'uninstall-service', runner.dryRun);
  const systemctl = new Systemctl(runner, o.root);
  const unitPath = join(unitDir(o.root), UNIT_NAME);
  const enabledState = await systemctl.isEnabled(UNIT_NAME);
  const previous = readIfExists(unitPath);
  const present = previous !== undefined || existsSync(unitPath);
  const reload = o.root ? undefined : systemctl.verb('daemon-reload');
  const hotplug = hotplugToRemove(unitDir(o.root), o.root);
  const effects: Effect[] = [];
  // Stopping a oneshot only marks it inactive (there is no ExecStop): nothing to undo.
  if (o.now && present) effects.push(systemctl.verb('stop', UNIT_NAME));
  if (enabledState === 'enabled') effects.push(systemctl.verb('disable', UNIT_NAME, 'enable'));
  const files = [...hotplug.files, ...(present ? [{ path: unitPath, previous }] : [])];
  // Undone newest first: only the oldest removal's inverse reloads systemd, once, after every file is back.
  for (const [i, f] of files.entries()) {
    const reloadAfter = i === 0 ? reload : undefined;
    effects.push(
      effect(`remove ${f.path}`, () => rmSync(f.path, { force: true }), () =>
        f.previous === undefined
          ? undefined
          : effect(`restore ${f.path}${reloadAfter ? `, ${reloadAfter.description}` : ''}`, async () => {
              writeFileAtomic(f.path, f.previous as string, 0o644);
              await reloadAfter?.run();
            }),
      ),
    );
  }
  if (reload && (present || hotplug.files.length > 0)) effects.push(reload);
  const changes = await runEffects(effects, runner.dryRun);
  if (changes.length === 0) log.verbose(`${UNIT_NAME} is not installed${o.root ? ` in ${o.root}` : ''}`);
  return {
    command: 'uninstall-service',
    dryRun: runner.dryRun,
    root: o.root ?? null,
    unitPath,
    unitFile: present ? 'removed' : 'absent',
    enabled: false,
    started: false,
    stopped: o.now && present,
    legacy: 'kept',
    hotplug: hotplug.result,
    changes,
  };
}
