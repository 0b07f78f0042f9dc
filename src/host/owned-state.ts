/**
 * What setup gave each NIC, kept under /run (tmpfs): it disappears at reboot exactly when the addresses do, and
 * lets reset remove only our address even when the metadata server is unreachable.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OwnedAddress } from '../core/nic-plan.js';
import { writeFileAtomic } from './atomic-file.js';

export type OwnedRecord = Record<string, OwnedAddress & { mac: string }>;

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ASM_ERDMA_RUN_DIR ?? '/run/asm-erdma';
}

const file = (): string => join(stateDir(), 'owned.json');

export function readOwned(): OwnedRecord {
  try {
    const doc: unknown = JSON.parse(readFileSync(file(), 'utf8'));
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as OwnedRecord) : {};
  } catch {
    return {};
  }
}

export function writeOwned(record: OwnedRecord): void {
  mkdirSync(stateDir(), { recursive: true, mode: 0o755 });
  writeFileAtomic(file(), `${JSON.stringify(record, null, 2)}\n`, 0o644);
}
