/** Option parsing shared by commands: every bad flag becomes a one-line usage error (exit 2). */
import { InvalidArgumentError } from 'commander';
import { Deadline } from '../core/deadline.js';
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

export function makeContext(o: CommonOptions): Context {
  const log = new Logger(Boolean(o.verbose));
  return {
    runner: new Runner({ dryRun: Boolean(o.dryRun), trace: (line) => log.verbose(line) }),
    log,
    deadline: new Deadline(o.timeout * 1000),
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
