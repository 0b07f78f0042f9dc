/** systemctl, live or offline (`--root=DIR` for image building), through the one command runner. */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { effect, type Effect } from './effects.js';
import { findOnPath } from './node-facts.js';
import { firstLine, type Runner } from './runner.js';

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

export class Systemctl {
  constructor(
    private readonly runner: Runner,
    /** Image root for offline operation; undefined on a live node. */
    private readonly root: string | undefined,
  ) {}

  private args(rest: string[]): string[] {
    return this.root ? [`--root=${this.root}`, ...rest] : rest;
  }

  /**
   * `systemctl is-enabled`: enabled, disabled, static, masked… or 'not-found'. Read-only. A unit with no file is
   * not-found without asking, unless systemctl is missing: then it is run, so the missing tool is reported at
   * the first question (install-service asks before it writes anything).
   */
  async isEnabled(unit: string): Promise<string> {
    if (!unitFileMayExist(unit, this.root) && findOnPath('systemctl')) return 'not-found';
    const r = await this.runner.run({ file: 'systemctl', args: this.args(['is-enabled', unit]), mutates: false });
    const word = r.stdout.trim().split('\n')[0] ?? '';
    return word !== '' ? word : r.exitCode === 0 ? 'enabled' : 'not-found';
  }

  /**
   * `systemctl is-active` (live only). A service with no unit file anywhere is 'inactive' without asking, as
   * systemctl would say (only a service whose file was deleted while it ran is missed). Other unit types (mounts,
   * scopes) can be active without a file, so they are always asked.
   */
  async isActive(unit: string): Promise<string> {
    if (unit.endsWith('.service') && !unitFileMayExist(unit, undefined)) return 'inactive';
    const r = await this.runner.run({ file: 'systemctl', args: ['is-active', unit], mutates: false });
    return r.stdout.trim() || 'unknown';
  }

  /** Runs a mutating systemctl verb and returns the command line, for the report of changes. */
  async change(verb: string, ...units: string[]): Promise<string> {
    const args = this.args([verb, ...units]);
    await this.runner.must({ file: 'systemctl', args, mutates: true }, (r) => new ExitError('apply', `'systemctl ${args.join(' ')}' failed: ${firstLine(r)}`));
    return `systemctl ${args.join(' ')}`;
  }

  /** A systemctl verb as an effect; `inverse` names the verb that undoes it (enable ↔ disable). */
  verb(verb: string, unit?: string, inverse?: string): Effect {
    const units = unit ? [unit] : [];
    return effect(
      `systemctl ${this.args([verb, ...units]).join(' ')}`,
      async () => {
        await this.change(verb, ...units);
      },
      inverse ? () => this.verb(inverse, unit, verb) : undefined,
    );
  }
}
