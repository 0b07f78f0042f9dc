/** Option parsing shared by commands: every bad flag becomes a one-line usage error (exit 2). */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MIN_KERNEL } from '../core/kernel-policy.js';
import { DEFAULT_METADATA_URL } from '../host/metadata.js';
import { Deadline } from '../core/deadline.js';
import {
  checkInterfaceName,
  checkMetadataUrl,
  checkSeconds,
  checkSecondsOrZero,
  type Checked,
} from '../core/option-values.js';
import { ExitError } from '../exit-codes.js';
import type { Host } from '../host/host.js';
import { NodeHost } from '../host/node-host.js';
import { Runner } from '../host/runner.js';
import { confirm } from '../ui/confirm.js';
import { Logger } from '../ui/logger.js';

export interface CommonOptions {
  json?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
}

export interface Context {
  /** Everything the workflow reads and changes. */
  host: Host;
  log: Logger;
  json: boolean;
}

export type BoundedContext = Context & { deadline: Deadline };

/** A run bounded by a deadline: every tool it starts is killed at the deadline (exit 9, naming the tool). */
export function makeContext(o: CommonOptions, timeoutSeconds: number): BoundedContext;
/**
 * A run without one (kernel: a yum install may take minutes; diag --watch runs until stopped): each tool has
 * its own time limit instead (host/packages.ts, host/smcss.ts).
 */
export function makeContext(o: CommonOptions): Context;
export function makeContext(o: CommonOptions, timeoutSeconds?: number): Context {
  const deadline = timeoutSeconds === undefined ? undefined : new Deadline(timeoutSeconds * 1000);
  const log = new Logger(Boolean(o.verbose), process.stderr, undefined, deadline);
  const runner = new Runner({ trace: (line) => log.verbose(line), ...(deadline ? { deadline } : {}) });
  const host = new NodeHost(runner, { dryRun: Boolean(o.dryRun), streamInstall: log.isVerbose, confirm });
  return { host, log, json: Boolean(o.json), ...(deadline ? { deadline } : {}) };
}

/** Commander reports a bad flag value as `option '--x <v>' argument 'v' is invalid. <message>`: the message carries
 * "reason (what to do)" and the CLI's error boundary turns it into the one error line. */
function badValue(reason: string, hint: string): InvalidArgumentError {
  return new InvalidArgumentError(`${reason} (${hint})`);
}

/** Splits "reason (hint)" back; a message without a trailing parenthesis has no hint. */
export function splitHint(message: string): { reason: string; hint: string | undefined } {
  const m = /^(.*?) \(([^()]*)\)\.?$/s.exec(message.trim());
  return m ? { reason: m[1] as string, hint: m[2] as string } : { reason: message.trim(), hint: undefined };
}

function orThrow<T>(c: Checked<T>): T {
  if (!c.ok) throw badValue(c.reason, c.hint);
  return c.value;
}

/** `setup --settle SECONDS`: how long the eRDMA device set must stay unchanged in boot mode. */
export function parseSettle(value: string): number {
  return orThrow(checkSecondsOrZero(value, '3', 600));
}

export function parseTimeout(value: string): number {
  return orThrow(checkSeconds(value));
}

/** Repeatable -i NAME; without it every eRDMA NIC (commander's default would print as "(default: [])"). */
export function collectInterface(value: string, previous: string[] | undefined): string[] {
  const name = orThrow(checkInterfaceName(value));
  const list = previous ?? [];
  return list.includes(name) ? list : [...list, name];
}

export function parseMetadataUrl(value: string): string {
  // Refused, never silently dropped; an ExitError (not commander's message) so the secret is not echoed.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value.trim())) {
    const hint = 'the ECS metadata server takes none: give only scheme, host and port';
    throw new ExitError('usage', '--metadata-url must not contain credentials (user:password@)', hint);
  }
  return orThrow(checkMetadataUrl(value));
}

/**
 * The options of the two read-only views of readiness, status and metrics: the same checks under the same
 * deadline (every tool is killed at it, the metadata server is asked within it).
 */
export function readinessOptions(cmd: Command, json: string): Command {
  return cmd
    .option('--min <release>', 'minimum kernel release', DEFAULT_MIN_KERNEL)
    .option('--metadata-url <url>', 'ECS metadata server', parseMetadataUrl, DEFAULT_METADATA_URL)
    .option('--timeout <seconds>', 'deadline for the whole run (every tool and the metadata server)', parseTimeout, 10)
    .option('--json', json)
    .option('-v, --verbose', 'log every command and metadata request');
}

let jsonWritten = false;

/** Writes the run's one JSON document; the error boundary checks `jsonAlreadyWritten` so there is never a second. */
export function printJson(doc: unknown): void {
  jsonWritten = true;
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

export const jsonAlreadyWritten = (): boolean => jsonWritten;

/** A workflow's report as printed: `dryRun` (nothing was changed) second, as the README's JSON shapes show it. */
export const withDryRun = <T extends { command: string }>(ctx: Context, report: T): T & { dryRun: boolean } =>
  Object.assign({ command: report.command, dryRun: !ctx.host.changes.applies }, report);
