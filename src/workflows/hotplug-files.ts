/**
 * The hot-plug pieces install-service adds next to the boot unit: the template unit and the udev rule
 * (core/hotplug.ts says why). What to write or remove is decided here from what is on disk; the changes run as
 * effects (service.ts), so a later failing step puts them back as they were.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOTPLUG_TEMPLATE_NAME, renderHotplugUnit, renderUdevRule, UDEV_RULE_NAME } from '../core/hotplug.js';
import type { UnitOptions } from '../core/unit.js';

export type HotplugResult = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

export interface HotplugFile {
  path: string;
  /** undefined: the file should not exist. */
  desired: string | undefined;
  previous: string | undefined;
}

export function hotplugPaths(unitDirectory: string, root: string | undefined): { template: string; rule: string } {
  return {
    template: join(unitDirectory, HOTPLUG_TEMPLATE_NAME),
    rule: join(root ?? '/', 'etc/udev/rules.d', UDEV_RULE_NAME),
  };
}

export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The files install-service must write (those whose content differs) and the result for the report. */
export function hotplugToInstall(
  unitDirectory: string,
  root: string | undefined,
  unit: UnitOptions,
): { result: HotplugResult; files: HotplugFile[] } {
  const paths = hotplugPaths(unitDirectory, root);
  const files = [
    { path: paths.template, desired: renderHotplugUnit(unit) },
    { path: paths.rule, desired: renderUdevRule() },
  ].map((f) => ({ ...f, previous: readIfExists(f.path) }));
  const stale = files.filter((f) => f.previous !== f.desired);
  const result: HotplugResult =
    stale.length === 0 ? 'unchanged' : files.every((f) => f.previous === undefined) ? 'created' : 'updated';
  return { result, files: stale };
}

/** The files uninstall-service must remove. */
export function hotplugToRemove(
  unitDirectory: string,
  root: string | undefined,
): { result: HotplugResult; files: HotplugFile[] } {
  const paths = hotplugPaths(unitDirectory, root);
  const files = [paths.template, paths.rule]
    .filter((p) => existsSync(p))
    .map((path) => ({ path, desired: undefined, previous: readIfExists(path) }));
  return { result: files.length > 0 ? 'removed' : 'absent', files };
}
