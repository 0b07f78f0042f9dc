/**
 * The single gateway for subprocesses. Every command is an argv (no shell). Dry-run is not its business: the
 * executor (host/executor.ts) never asks it to run a change under dry-run.
 * Every command of every run is bounded: by the run's deadline when there is one, by a per-call deadline
 * (diag's sample), and always by its own limit. Each tool runs in its own process group; at the limit the whole
 * group gets SIGTERM, then SIGKILL after a short grace, and the call returns at once (exit 9 naming the tool)
 * without waiting for pipes a grandchild in another session may still hold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Deadline } from '../core/deadline.js';
import { ExitError } from '../exit-codes.js';
import { findTool } from './node-facts.js';
import { NOT_FOUND_WHERE, ToolNotFound } from './host-errors.js';
import { onInterrupt } from './interrupt.js';

export interface CommandSpec {
  file: string;
  args: string[];
  /** Stream the tool's own output to our stderr (yum with --verbose). */
  stream?: boolean;
  timeoutMs?: number;
  /** A deadline of this call's own (one diag sample), besides the run's. */
  deadline?: Deadline;
  /** Written to the command's stdin (`ip -batch -`). */
  input?: string;
  /**
   * When we are interrupted (Ctrl-C, SIGTERM), pass the signal on instead of killing the tool: yum and dnf then
   * finish or undo their transaction as they would at a terminal's Ctrl-C.
   */
  forwardInterrupt?: boolean;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Which package provides each tool we call, for a "missing tool" message that says what to install. */
const PROVIDERS: Record<string, string> = {
  ip: 'iproute',
  rdma: 'iproute (rdma is part of iproute2)',
  yum: 'yum / dnf',
  rpm: 'rpm',
  grubby: 'grubby',
  systemctl: 'systemd',
  uname: 'coreutils',
  reboot: 'systemd',
  nsenter: 'util-linux',
};

/**
 * A command started when the deadline has (almost) passed still gets this long: a rollback after a late
 * failure should run, and the run still ends within --timeout + 1 s.
 */
const MIN_TOOL_MS = 300;

/** A tool that has no limit of its own (and no deadline applies) still never runs longer than this. */
const DEFAULT_TOOL_MS = 120_000;

/** Between SIGTERM and SIGKILL at the limit: long enough for a tool to clean up, short enough to end on time. */
export const KILL_GRACE_MS = 500;

/** Process groups of commands still running (they are detached), killed if we are interrupted. */
const liveGroups = new Map<number, { forward: boolean }>();
let signalsHooked = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Detached children do not get the terminal's Ctrl-C or systemd's SIGTERM: kill them (yum gets it passed on). */
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  onInterrupt((signal) => {
    for (const [pid, { forward }] of liveGroups) signalGroup(pid, forward ? signal : 'SIGKILL');
  });
}

/**
 * Milliseconds on a monotonic clock for the trace's durations. Not the global performance: its first use loads
 * node:perf_hooks and eight internal modules (~0.5 ms of every run's start-up) for a subtraction.
 */
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}`;

export class Runner {
  /** Tools killed at the deadline in this run (status reports them and still exits 9). */
  readonly killed: string[] = [];

  private readonly trace: ((line: string) => void) | undefined;
  private readonly deadline: Deadline | undefined;

  constructor(options: { trace?: (line: string) => void; deadline?: Deadline } = {}) {
    this.trace = options.trace;
    this.deadline = options.deadline;
  }

  /** How long the command may run (the nearest of its limits), and what to call that limit in the message. */
  private limitFor(spec: CommandSpec): { ms: number; shownMs: number } {
    const ownMs = spec.timeoutMs ?? DEFAULT_TOOL_MS;
    let limit = { ms: ownMs, shownMs: ownMs };
    for (const deadline of [this.deadline, spec.deadline]) {
      if (!deadline) continue;
      const byDeadline = Math.max(MIN_TOOL_MS, deadline.remaining());
      if (byDeadline < limit.ms) limit = { ms: byDeadline, shownMs: deadline.totalMs };
    }
    return limit;
  }

  /** Runs a command; a non-zero exit is returned, not thrown — callers decide what a failure means. */
  async run(spec: CommandSpec): Promise<CommandResult> {
    const argv = [spec.file, ...spec.args];
    const limit = this.limitFor(spec);
    const started = monotonicMs();
    // Looked up here rather than by spawn: PATH, then /usr/sbin and /sbin (see findTool).
    const file = spec.file.includes('/') ? spec.file : findTool(spec.file);
    if (file === undefined) throw toolNotFound(spec.file);
    // Before the spawn: a SIGTERM that arrives while spawn() returns must already find the handler that kills the
    // group, or we would die of it and leave the tool running.
    hookSignals();
    // node:child_process rather than execa: execa's start-up and ~15 MB of memory cost more than a whole setup run.
    const child = spawn(file, spec.args, {
      stdio: [spec.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, so a hung tool is killed with every child it started (which would otherwise
      // keep its output pipe open, and us waiting).
      detached: true,
      env: { ...process.env, LC_ALL: 'C' },
    });
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const collecting = collect(child, spec);
    const pid = child.pid;
    if (pid !== undefined) {
      liveGroups.set(pid, { forward: Boolean(spec.forwardInterrupt) });
      timers.push(
        setTimeout(() => {
          timedOut = true;
          signalGroup(pid, 'SIGTERM');
          // Whatever still runs after the grace is killed, and we stop waiting for its pipes.
          timers.push(
            setTimeout(() => {
              signalGroup(pid, 'SIGKILL');
              collecting.abandon();
            }, KILL_GRACE_MS),
          );
        }, limit.ms),
      );
    }
    const result = await collecting.done;
    for (const t of timers) clearTimeout(t);
    if (pid !== undefined) liveGroups.delete(pid);
    const durationMs = monotonicMs() - started;
    if (result.error?.code === 'ENOENT') throw toolNotFound(spec.file);
    if (timedOut) {
      this.killed.push(spec.file);
      this.trace?.(`${argv.join(' ')} → killed after ${Math.round(durationMs)} ms`);
      throw toolTimeout(argv, limit.shownMs);
    }
    const exitCode = result.exitCode ?? 1;
    this.trace?.(`${argv.join(' ')} → exit ${exitCode} (${Math.round(durationMs)} ms)`);
    return { exitCode, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs a command that must succeed; `explain` turns its failure into the right ExitError. */
  async must(spec: CommandSpec, explain: (r: CommandResult) => ExitError): Promise<CommandResult> {
    const r = await this.run(spec);
    if (r.exitCode !== 0) throw explain(r);
    return r;
  }
}

interface Collected {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

/**
 * Feeds stdin, gathers stdout/stderr (teeing them to our stderr when streaming) until every pipe is closed, or
 * until `abandon` is called (the group was killed: a grandchild that left it may hold the pipes for ever). A plain
 * callback rather than an AbortSignal: an EventTarget per tool is start-up time that every setup pays.
 */
function collect(child: ChildProcess, spec: CommandSpec): { done: Promise<Collected>; abandon: () => void } {
  let abandon = (): void => undefined;
  const done = new Promise<Collected>((resolve) => {
    const out: string[] = [];
    const err: string[] = [];
    const gather = (stream: Readable | null, into: string[]) => {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        into.push(chunk);
        if (spec.stream) process.stderr.write(chunk);
      });
    };
    gather(child.stdout, out);
    gather(child.stderr, err);
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a tool that exits without reading all of it (EPIPE)
      child.stdin.end(spec.input);
    }
    let settled = false;
    const finish = (exitCode: number | null, error?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      // Like execa: without the final newline, so `uname -r` is the release itself.
      const text = (parts: string[]) => parts.join('').replace(/\r?\n$/, '');
      const stderr = text(err) || (error && error.code !== 'ENOENT' ? error.message : '');
      resolve({ exitCode, stdout: text(out), stderr, ...(error ? { error } : {}) });
    };
    abandon = () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
      finish(child.exitCode);
    };
    child.once('error', (e: NodeJS.ErrnoException) => finish(null, e));
    child.once('close', (code) => finish(code));
  });
  return { done, abandon: () => abandon() };
}

/** Said only after looking on PATH and in /usr/sbin and /sbin, so "install" is the right advice. */
function toolNotFound(tool: string): ToolNotFound {
  const provider = PROVIDERS[tool];
  return new ToolNotFound(
    [tool],
    `'${tool}' was not found ${NOT_FOUND_WHERE}`,
    provider ? `install ${provider}` : undefined,
  );
}

export function toolTimeout(argv: string[], withinMs: number): ExitError {
  const shown = argv.length > 4 ? `${argv.slice(0, 4).join(' ')} …` : argv.join(' ');
  return new ExitError(
    'toolTimeout',
    `${argv[0]} did not answer within ${seconds(withinMs)} s ('${shown}'); it was killed`,
    `run '${shown}' by hand to see why it hangs; raise --timeout if it is only slow`,
  );
}

/** First non-empty line of a tool's stderr (or stdout), for a one-line error. */
export function firstLine(r: CommandResult): string {
  const text = `${r.stderr}\n${r.stdout}`;
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? `exit code ${r.exitCode}`
  );
}
