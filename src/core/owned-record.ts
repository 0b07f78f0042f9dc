/**
 * setup's record of the address it gave each NIC (kept by host/owned-state.ts under /run), and how a run's
 * outcomes change it. Only an entry with the NIC's own MAC counts: a name reused by another ENI is not ours.
 */
import { dirname, join } from 'node:path/posix';
import type { LinkInfo } from './iproute-json.js';
import type { OwnedAddress } from './nic-plan.js';

/** Where the record lives on a node (tmpfs: gone at reboot with the addresses); the boot units may write only here. */
export const RECORD_DIR = '/run/asm-erdma';

export type OwnedEntry = OwnedAddress & { mac: string };
export type OwnedRecord = Record<string, OwnedEntry>;

/** The recorded address of this very NIC (same name and MAC), if any. */
export function recordedFor(record: OwnedRecord, nic: { name: string; mac: string }): OwnedEntry | undefined {
  const entry = record[nic.name];
  return entry && entry.mac === nic.mac ? entry : undefined;
}

export type LinkResult = 'unchanged' | 'changed' | 'planned' | 'failed' | 'rolled-back';

const carries = (links: LinkInfo[], name: string, a: OwnedAddress): boolean =>
  links.some((l) => l.name === name && l.ipv4.some((x) => x.local === a.address && x.prefixlen === a.prefix));

/**
 * After setup: a NIC that now carries its address is recorded. After a failed rollback (`after` = the links
 * as they are now) the record follows what the NIC really carries.
 */
export function recordAfterSetup(
  record: OwnedRecord,
  done: { name: string; entry: OwnedEntry; result: LinkResult }[],
  after: LinkInfo[] | undefined,
): OwnedRecord {
  const next = { ...record };
  for (const { name, entry, result } of done) {
    if (result === 'changed' || result === 'unchanged') next[name] = entry;
    else if (result === 'failed' && after) {
      const old = next[name];
      if (carries(after, name, entry)) next[name] = entry;
      else if (old && !carries(after, name, old)) delete next[name];
    }
  }
  return next;
}

/** After reset: a NIC reset (or whose recorded address is gone after a failed rollback) leaves the record. */
export function recordAfterReset(
  record: OwnedRecord,
  done: { name: string; result: LinkResult }[],
  after: LinkInfo[] | undefined,
): OwnedRecord {
  const next = { ...record };
  for (const { name, result } of done) {
    const old = next[name];
    if (result === 'changed' || result === 'unchanged') delete next[name];
    else if (result === 'failed' && after && old && !carries(after, name, old)) delete next[name];
  }
  return next;
}

/** How setup's last run on this node ended (kept next to the record; `metrics` exports it). */
export interface LastSetup {
  /** Unix time, seconds. */
  at: number;
  /** Every NIC it was asked to configure carries its address and the record was written. */
  success: boolean;
}

/** Next to the record, in the run directory openRecord checked. */
export const lastSetupPath = (recordPath: string): string => join(dirname(recordPath), 'last-setup.json');

/** The file's content; undefined when it is not what setup writes (never trusted further than its two fields). */
export function parseLastSetup(text: string): LastSetup | undefined {
  try {
    const doc = JSON.parse(text) as Partial<LastSetup> | null;
    if (typeof doc?.at === 'number' && Number.isFinite(doc.at) && typeof doc.success === 'boolean') {
      return { at: doc.at, success: doc.success };
    }
  } catch {
    // not JSON: the same as no file
  }
  return undefined;
}
