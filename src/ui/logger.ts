/** Human logs on stderr, so stdout stays the result (and exactly one JSON document under --json). */
import type { Deadline } from '../core/deadline.js';
import { coloursFor, type Colours } from './colours.js';
import { isQuiet } from './output-mode.js';

interface Stoppable {
  stop(): void;
}

/** Spinners still drawing: the error boundary clears them before it prints, so an error starts its own line. */
const activeSpinners = new Set<Stoppable>();

export function stopSpinners(): void {
  for (const s of activeSpinners) s.stop();
  activeSpinners.clear();
}

export class Logger {
  readonly c: Colours;
  constructor(
    private readonly verboseOn: boolean,
    private readonly err: NodeJS.WriteStream = process.stderr,
    private readonly quiet: boolean = isQuiet(),
    /** The run's deadline: the spinner counts against it. */
    private readonly deadline?: Deadline,
  ) {
    this.c = coloursFor(err);
  }
  info(message: string): void {
    if (!this.quiet) this.err.write(`${message}\n`);
  }
  warn(message: string): void {
    if (!this.quiet) this.err.write(`${this.c.yellow('warning:')} ${message}\n`);
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
   * --verbose or --quiet too: verbose lines (and streamed yum output) would be overwritten by the spinner.
   * It counts the seconds, against the run's deadline when there is one: a slow answer never looks like a hang.
   */
  /** `asking the metadata server… 4 s of the 30 s deadline`, or `installing kernel-… 12 s` without one. */
  spinText(text: string, started: number): string {
    const s = (ms: number): number => Math.floor(ms / 1000);
    if (!this.deadline) return `${text} ${s(performance.now() - started)} s`;
    const used = this.deadline.totalMs - this.deadline.remaining();
    return `${text} ${s(used)} s of the ${s(this.deadline.totalMs)} s deadline`;
  }

  async spin<T>(text: string, work: () => Promise<T>): Promise<T> {
    // A terminal that reports 0 columns (a serial console, a bare pty) sends ora into an endless redraw.
    if (!this.err.isTTY || this.verboseOn || this.quiet || !(this.err.columns > 0)) return work();
    // Loaded only here: ora costs ~40 ms of start-up that a boot unit or a pipe never needs.
    const { default: ora } = await import('ora');
    // discardStdin would put the TTY in raw mode and keep stdin open: the process would never exit.
    const spinner = ora({
      text,
      stream: this.err,
      discardStdin: false,
      color: this.c.level > 0 ? 'cyan' : false,
    }).start(this.spinText(text, performance.now()));
    const started = performance.now();
    const ticker = setInterval(() => {
      spinner.text = this.spinText(text, started);
    }, 1000);
    ticker.unref();
    activeSpinners.add(spinner);
    try {
      return await work();
    } finally {
      clearInterval(ticker);
      spinner.stop();
      activeSpinners.delete(spinner);
    }
  }
}
