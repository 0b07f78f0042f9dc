/**
 * What this process holds, asked by the executor (host/executor.ts decides what each change needs): CAP_NET_ADMIN
 * by capability, not uid, since a container may run as root without CAP_NET_ADMIN, or the reverse.
 */
import { readFileSync } from 'node:fs';

const CAP_NET_ADMIN = 12n;

export function effectiveCaps(statusText?: string): bigint {
  const text = statusText ?? readFileSync('/proc/self/status', 'utf8');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(text)?.[1];
  return hex ? BigInt(`0x${hex}`) : 0n;
}

export function hasNetAdmin(caps = effectiveCaps()): boolean {
  return ((caps >> CAP_NET_ADMIN) & 1n) === 1n;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
