/**
 * The single gateway for subprocesses. Every command is an argv (no shell). Mutating commands are only
 * recorded under dry-run; read-only ones always run, because a plan needs real observations.
 */
import { execa } from 'execa';
import { ExitError } from '../exit-codes.js';

export interface CommandSpec {
  file: string;
  args: string[];
  /** Changes the node: skipped (and only recorded) under dry-run. */
  mutates: boolean;
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

export class Runner {
  readonly dryRun: boolean;

  private readonly trace: ((line: string) => void) | undefined;

  constructor(options: { dryRun: boolean; trace?: (line: string) => void }) {
    this.dryRun = options.dryRun;
    this.trace = options.trace;
  }

  /** Runs a command; a non-zero exit is returned, not thrown — callers decide what a failure means. */
  async run(spec: CommandSpec): Promise<CommandResult> {
    const argv = [spec.file, ...spec.args];
    if (spec.mutates && this.dryRun) {
      this.trace?.(`dry run, not running: ${argv.join(' ')}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    const result = await execa(spec.file, spec.args, {
      reject: false,
      ...(spec.input !== undefined ? { input: spec.input } : { stdin: 'ignore' as const }),
      // Streamed output goes to our stderr: stdout stays the result (one JSON document under --json).
      stdout: spec.stream ? ['pipe', process.stderr] : 'pipe',
      stderr: spec.stream ? ['pipe', process.stderr] : 'pipe',
      timeout: spec.timeoutMs,
      env: { LC_ALL: 'C' },
    });
    if (result.code === 'ENOENT' || (result.failed && result.exitCode === undefined && /ENOENT/.test(String(result.message)))) {
      const provider = PROVIDERS[spec.file];
      throw new ExitError(
        'missingTool',
        `'${spec.file}' was not found on PATH`,
        provider ? `install ${provider}` : undefined,
      );
    }
    if (result.timedOut) {
      throw new ExitError('internal', `'${argv.join(' ')}' did not finish within ${spec.timeoutMs} ms`);
    }
    const exitCode = result.exitCode ?? 1;
    this.trace?.(`${argv.join(' ')} → exit ${exitCode} (${Math.round(result.durationMs)} ms)`);
    return { exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  }

  /** Runs a command that must succeed; `explain` turns its failure into the right ExitError. */
  async must(spec: CommandSpec, explain: (r: CommandResult) => ExitError): Promise<CommandResult> {
    const r = await this.run(spec);
    if (r.exitCode !== 0) throw explain(r);
    return r;
  }
}

/** First non-empty line of a tool's stderr (or stdout), for a one-line error. */
export function firstLine(r: CommandResult): string {
  const text = `${r.stderr}\n${r.stdout}`;
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? `exit code ${r.exitCode}`;
}
