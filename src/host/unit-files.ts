/** Whether systemd could know a unit at all, from its unit directories: status is spared a systemctl process. */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';

/** Every directory systemd loads unit files from (systemd.unit(5) "Unit File Load Path", system manager). */
const UNIT_DIRS = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/run/systemd/generator.early',
  '/etc/systemd/system',
  '/etc/systemd/system.attached',
  '/run/systemd/system',
  '/run/systemd/system.attached',
  '/run/systemd/generator',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
  '/run/systemd/generator.late',
];

/**
 * False when no unit directory has a file or link for the unit (or its template, for `a@b.service`): then
 * systemctl would only say not-found / inactive, and status is spared a process (most nodes have neither the
 * legacy unit nor, off Alibaba Cloud Linux, NetworkManager). A lookup it cannot make (EACCES, SYSTEMD_UNIT_PATH
 * set) counts as "may exist", so systemctl is asked.
 */
export function unitFileMayExist(unit: string, root: string | undefined): boolean {
  if (process.env.SYSTEMD_UNIT_PATH !== undefined) return true;
  const template = unit.replace(/@[^.@]+\./, '@.');
  const names = template === unit ? [unit] : [unit, template];
  for (const dir of UNIT_DIRS) {
    for (const name of names) {
      try {
        lstatSync(join(root ?? '/', dir, name));
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') return true;
      }
    }
  }
  return false;
}
