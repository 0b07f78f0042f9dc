/** `setup --settle SECONDS`: how long the eRDMA device set must stay unchanged in boot mode. */
import { InvalidArgumentError } from 'commander';

export function parseSettle(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || n > 600) {
    throw new InvalidArgumentError('must be a number of seconds from 0 to 600, e.g. 3');
  }
  return n;
}
