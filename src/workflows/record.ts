/** Writing setup's record after the NICs changed (setup, reset). */
import type { LinkInfo } from '../core/iproute-json.js';
import { lastSetupPath, type OwnedRecord } from '../core/owned-record.js';
import { EffectsFailed } from '../host/host-errors.js';
import type { Host, LinkOutcome } from '../host/host.js';

/**
 * A failure here must not hide the report of what changed: it is returned, and the command exits 6 after
 * printing the report. Under dry-run the executor writes nothing.
 */
async function saveRecord(host: Host, path: string, record: OwnedRecord): Promise<string | undefined> {
  try {
    await host.changes.apply([{ kind: 'write-record', path, record }]);
    return undefined;
  } catch (e) {
    const cause = e instanceof EffectsFailed ? e.reason : e;
    const code = cause instanceof Error && 'code' in cause ? String(cause.code) : String(cause);
    return `could not write ${path}: ${code}`;
  }
}

/**
 * The record as this run left the NICs (`next`, core/owned-record). After a failed rollback the links are looked
 * at once more, so the record follows what the NICs really carry.
 */
export async function recordOutcome(
  host: Host,
  owned: { path: string },
  applied: { outcome: LinkOutcome }[],
  next: (after: LinkInfo[] | undefined) => OwnedRecord,
): Promise<string | undefined> {
  const after = applied.some((n) => n.outcome.result === 'failed') ? (await host.observe()).links : undefined;
  return saveRecord(host, owned.path, next(after));
}

/**
 * Notes how this setup ended, for `metrics` (asm_erdma_last_setup_*). Best effort: the run's own report and
 * exit code say what happened; a note that cannot be written only leaves the older note in place.
 */
export async function noteLastSetup(host: Host, owned: { path: string }, success: boolean): Promise<void> {
  const outcome = { at: Math.floor(host.clock.now() / 1000), success };
  try {
    await host.changes.apply([{ kind: 'write-last-setup', path: lastSetupPath(owned.path), outcome }]);
  } catch {
    // see above
  }
}
