/**
 * The hot-plug pieces install-service adds next to the boot unit: the template unit and the udev rule
 * (core/hotplug.ts says why). Written atomically, also under --root; put back as they were if a later step
 * of install-service fails; removed by uninstall-service.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { HOTPLUG_TEMPLATE_NAME, renderHotplugUnit, renderUdevRule, UDEV_RULE_NAME } from '../core/hotplug.js';
import type { UnitOptions } from '../core/unit.js';
import { writeFileAtomic } from '../host/atomic-file.js';

export type HotplugResult = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

export interface HotplugChange {
  result: HotplugResult;
  /** What was (or, under --dry-run, would be) written or removed, for the report. */
  changes: string[];
  /** Puts back the previous files (after a later step failed). */
  restore(): void;
}

export function hotplugPaths(unitDirectory: string, root: string | undefined): { template: string; rule: string } {
  return {
    template: join(unitDirectory, HOTPLUG_TEMPLATE_NAME),
    rule: join(root ?? '/', 'etc/udev/rules.d', UDEV_RULE_NAME),
  };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function put(path: string, content: string | undefined): void {
  if (content === undefined) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileAtomic(path, content, 0o644);
}

export function installHotplugFiles(
  unitDirectory: string,
  root: string | undefined,
  unit: UnitOptions,
  dryRun: boolean,
): HotplugChange {
  const paths = hotplugPaths(unitDirectory, root);
  const files = [
    { path: paths.template, desired: renderHotplugUnit(unit) },
    { path: paths.rule, desired: renderUdevRule() },
  ].map((f) => ({ ...f, previous: readIfExists(f.path) }));
  const stale = files.filter((f) => f.previous !== f.desired);
  const written: typeof files = [];
  const restore = (): void => {
    for (const f of written.reverse()) put(f.path, f.previous);
  };
  for (const f of stale) {
    if (dryRun) continue;
    try {
      put(f.path, f.desired);
      written.push(f);
    } catch (e) {
      restore();
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      const hint = code === 'EACCES' || code === 'EROFS' ? 'is the root writable by this user?' : undefined;
      throw new ExitError('apply', `cannot write ${f.path}: ${code}`, hint);
    }
  }
  const result: HotplugResult =
    stale.length === 0 ? 'unchanged' : files.every((f) => f.previous === undefined) ? 'created' : 'updated';
  return { result, changes: stale.map((f) => `write ${f.path} (mode 0644)`), restore };
}

export function removeHotplugFiles(
  unitDirectory: string,
  root: string | undefined,
  dryRun: boolean,
): { result: HotplugResult; changes: string[] } {
  const paths = hotplugPaths(unitDirectory, root);
  const present = [paths.template, paths.rule].filter((p) => existsSync(p));
  if (!dryRun) for (const p of present) rmSync(p, { force: true });
  return { result: present.length > 0 ? 'removed' : 'absent', changes: present.map((p) => `remove ${p}`) };
}
