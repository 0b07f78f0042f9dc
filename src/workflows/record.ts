/** Writing setup's record after the NICs changed (setup, reset). */
import type { OwnedRecord } from '../core/owned-record.js';
import { EffectsFailed } from '../host/executor.js';
import type { Host } from '../host/host.js';

/**
 * A failure here must not hide the report of what changed: it is returned, and the command exits 6 after
 * printing the report. Under dry-run the executor writes nothing.
 */
export async function saveRecord(host: Host, path: string, record: OwnedRecord): Promise<string | undefined> {
  try {
    await host.changes.apply([{ kind: 'write-record', path, record }]);
    return undefined;
  } catch (e) {
    const cause = e instanceof EffectsFailed ? e.reason : e;
    const code = cause instanceof Error && 'code' in cause ? String(cause.code) : String(cause);
    return `could not write ${path}: ${code}`;
  }
}
