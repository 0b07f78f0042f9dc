/** Root check by capability, not uid: a container may run as root without CAP_NET_ADMIN, or the reverse. */
import { readFileSync } from 'node:fs';
import { ExitError } from '../exit-codes.js';

const CAP_NET_ADMIN = 12n;

export function effectiveCaps(statusText?: string): bigint {
  const text = statusText ?? readFileSync('/proc/self/status', 'utf8');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  return hex ? BigInt(`0x${hex}`) : 0n;
}

export function hasNetAdmin(caps = effectiveCaps()): boolean {
  return ((caps >> CAP_NET_ADMIN) & 1n) === 1n;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function requireNetAdmin(what: string): void {
  if (!hasNetAdmin()) {
    throw new ExitError(
      'needsRoot',
      `${what} needs root (CAP_NET_ADMIN); nothing was changed`,
      'run it with sudo, or as root',
    );
  }
}

export function requireRoot(what: string): void {
  if (!isRoot())
    throw new ExitError('needsRoot', `${what} needs root; nothing was changed`, 'run it with sudo, or as root');
}
