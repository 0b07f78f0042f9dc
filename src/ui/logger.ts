/** Human logs on stderr, so stdout stays the result (and exactly one JSON document under --json). */
import type { ChalkInstance } from 'chalk';
import { coloursFor } from './colours.js';

export class Logger {
  readonly c: ChalkInstance;
  constructor(
    private readonly verboseOn: boolean,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {
    this.c = coloursFor(err);
  }
  info(message: string): void {
    this.err.write(`${message}\n`);
  }
  warn(message: string): void {
    this.err.write(`${this.c.yellow('warning:')} ${message}\n`);
  }
  error(message: string): void {
    this.err.write(`${this.c.red('error:')} ${message}\n`);
  }
  verbose(message: string): void {
    // Elapsed time since process start: the verbose log doubles as a timing profile of the run.
    if (this.verboseOn) this.err.write(`${this.c.dim(`[+${Math.round(performance.now())} ms] ${message}`)}\n`);
  }
  get isVerbose(): boolean {
    return this.verboseOn;
  }

  /**
   * Runs `work` under an ora spinner on a TTY. With no TTY it just runs (no escape codes in logs), and with
   * --verbose too: verbose lines (and streamed yum output) would be overwritten by the spinner.
   */
  async spin<T>(text: string, work: () => Promise<T>): Promise<T> {
    // A terminal that reports 0 columns (a serial console, a bare pty) sends ora into an endless redraw.
    if (!this.err.isTTY || this.verboseOn || !(this.err.columns > 0)) return work();
    // Loaded only here: ora costs ~40 ms of start-up that a boot unit or a pipe never needs.
    const { default: ora } = await import('ora');
    // discardStdin would put the TTY in raw mode and keep stdin open: the process would never exit.
    const spinner = ora({ text, stream: this.err, discardStdin: false }).start();
    try {
      const result = await work();
      spinner.stop();
      return result;
    } catch (e) {
      spinner.stop();
      throw e;
    }
  }
}
