/**
 * The single gateway for subprocesses. Every command is an argv (no shell). Dry-run is not its business: the
 * executor (host/executor.ts) never asks it to run a change under dry-run.
 * With a run deadline, every command is bounded by it: a tool that hangs is killed with its whole process
 * group (a hung `rdma` or `ip` must not hold the lock forever) and reported as exit 9, naming the tool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Deadline } from '../core/deadline.js';
import { ExitError } from '../exit-codes.js';
import { findTool } from './node-facts.js';
import { NOT_FOUND_WHERE, ToolNotFound } from './host-errors.js';

export interface CommandSpec {
  file: string;
  args: string[];
  /** Stream the tool's own output to our stderr (yum with --verbose). */
  stream?: boolean;
  timeoutMs?: number;
  /** Written to the command's stdin (`ip -batch -`). */
  input?: string;
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
};

/**
 * A command started when the deadline has (almost) passed still gets this long: a rollback after a late
 * failure should run, and the run still ends within --timeout + 1 s.
 */
const MIN_TOOL_MS = 300;

/** A run without a deadline (kernel, diag) still never waits forever on a tool that has no limit of its own. */
const DEFAULT_TOOL_MS = 120_000;

/** Process groups of bounded commands still running, killed if we are interrupted (they are detached). */
const liveGroups = new Set<number>();
let signalsHooked = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Detached children do not get the terminal's Ctrl-C or systemd's SIGTERM to us: pass it on, then die of it. */
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const pid of liveGroups) killGroup(pid);
      process.kill(process.pid, signal);
    });
  }
}

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

  /** How long the command may run, and what to call that limit in the message. */
  private limitFor(spec: CommandSpec): { ms: number; shownMs: number } {
    const ownMs = spec.timeoutMs ?? DEFAULT_TOOL_MS;
    const own = { ms: ownMs, shownMs: ownMs };
    if (!this.deadline) return own;
    const byDeadline = Math.max(MIN_TOOL_MS, this.deadline.remaining());
    return own.ms < byDeadline ? own : { ms: byDeadline, shownMs: this.deadline.totalMs };
  }

  /** Runs a command; a non-zero exit is returned, not thrown — callers decide what a failure means. */
  async run(spec: CommandSpec): Promise<CommandResult> {
    const argv = [spec.file, ...spec.args];
    const limit = this.limitFor(spec);
    // Only runs with a deadline (setup, reset, status) kill whole groups; yum keeps the terminal's Ctrl-C.
    const grouped = this.deadline !== undefined;
    const started = performance.now();
    // Looked up here rather than by spawn: PATH, then /usr/sbin and /sbin (see findTool).
    const file = spec.file.includes('/') ? spec.file : findTool(spec.file);
    if (file === undefined) throw toolNotFound(spec.file);
    // Before the spawn: a SIGTERM that arrives while spawn() returns must already find the handler that kills the
    // group, or we would die of it and leave the tool running.
    if (grouped) hookSignals();
    // node:child_process rather than execa: execa's start-up and ~15 MB of memory cost more than a whole setup run.
    const child = spawn(file, spec.args, {
      stdio: [spec.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      // Its own process group, so a hung tool is killed with every child it started (which would otherwise
      // keep its output pipe open, and us waiting).
      detached: grouped,
      env: { ...process.env, LC_ALL: 'C' },
    });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const pid = child.pid;
    if (pid !== undefined) {
      if (grouped) liveGroups.add(pid);
      timer = setTimeout(() => {
        timedOut = true;
        if (grouped) killGroup(pid);
        else child.kill('SIGTERM');
      }, limit.ms);
    }
    const result = await collect(child, spec);
    clearTimeout(timer);
    if (pid !== undefined) liveGroups.delete(pid);
    const durationMs = performance.now() - started;
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

/** Feeds stdin, gathers stdout/stderr (teeing them to our stderr when streaming) until every pipe is closed. */
function collect(child: ChildProcess, spec: CommandSpec): Promise<Collected> {
  return new Promise((resolve) => {
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
    child.once('error', (e: NodeJS.ErrnoException) => finish(null, e));
    child.once('close', (code) => finish(code));
  });
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
