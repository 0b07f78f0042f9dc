/** Option parsing shared by commands: every bad flag becomes a one-line usage error (exit 2). */
import { InvalidArgumentError } from 'commander';
import { Deadline } from '../core/deadline.js';
import { ExitError } from '../exit-codes.js';
import { Runner } from '../host/runner.js';
import { Logger } from '../ui/logger.js';

export interface CommonOptions {
  json?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
  timeout: number;
}

export interface Context {
  runner: Runner;
  log: Logger;
  deadline: Deadline;
  json: boolean;
}

/** `toolsBounded`: every subprocess ends by the run's deadline (setup, reset, status; not a 10-minute yum). */
export function makeContext(o: CommonOptions, { toolsBounded = false } = {}): Context {
  const log = new Logger(Boolean(o.verbose));
  const deadline = new Deadline(o.timeout * 1000);
  return {
    runner: new Runner({
      dryRun: Boolean(o.dryRun),
      trace: (line) => log.verbose(line),
      ...(toolsBounded ? { deadline } : {}),
    }),
    log,
    deadline,
    json: Boolean(o.json),
  };
}

export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 3600) {
    throw new InvalidArgumentError('must be a number of seconds above 0 and at most 3600, e.g. 30');
  }
  return n;
}

/** Linux interface names: 1..15 bytes, no '/', ':' or white space (IFNAMSIZ and dev_valid_name). */
export function collectInterface(value: string, previous: string[] = []): string[] {
  if (!/^[^\s/:]{1,15}$/.test(value) || value === '.' || value === '..') {
    throw new InvalidArgumentError(`'${value}' is not a valid interface name`);
  }
  return previous.includes(value) ? previous : [...previous, value];
}

export function parseMetadataUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a URL, e.g. http://100.100.100.200`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// URL');
  // Refused, never silently dropped; an ExitError (not commander's message) so the secret is not echoed.
  if (url.username || url.password) {
    const hint = 'the ECS metadata server takes none: give only scheme, host and port';
    throw new ExitError('usage', '--metadata-url must not contain credentials (user:password@)', hint);
  }
  if (url.pathname !== '/' || url.search || url.hash) throw new InvalidArgumentError('give only scheme, host and port, e.g. http://100.100.100.200');
  return url.origin;
}

let jsonWritten = false;

/** Writes the run's one JSON document; the error boundary checks `jsonAlreadyWritten` so there is never a second. */
export function printJson(doc: unknown): void {
  jsonWritten = true;
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

export const jsonAlreadyWritten = (): boolean => jsonWritten;
