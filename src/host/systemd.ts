/** systemctl, live or offline (`--root=DIR` for image building), through the one command runner. */
import { ExitError } from '../exit-codes.js';
import { effect, type Effect } from './effects.js';
import { firstLine, type Runner } from './runner.js';

export class Systemctl {
  constructor(
    private readonly runner: Runner,
    /** Image root for offline operation; undefined on a live node. */
    private readonly root: string | undefined,
  ) {}

  private args(rest: string[]): string[] {
    return this.root ? [`--root=${this.root}`, ...rest] : rest;
  }

  /** `systemctl is-enabled`: enabled, disabled, static, masked… or 'not-found'. Read-only. */
  async isEnabled(unit: string): Promise<string> {
    const r = await this.runner.run({ file: 'systemctl', args: this.args(['is-enabled', unit]), mutates: false });
    const word = r.stdout.trim().split('\n')[0] ?? '';
    return word !== '' ? word : r.exitCode === 0 ? 'enabled' : 'not-found';
  }

  async isActive(unit: string): Promise<string> {
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
