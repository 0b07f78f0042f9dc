/**
 * What setup gave each NIC, kept under /run (tmpfs): it disappears at reboot exactly when the addresses do, and
 * lets reset remove only our address even when the metadata server is unreachable.
 *
 * The record is checked before any NIC is touched (openRecord): the run directory must be a real directory
 * owned by root (or by us) and not writable by group or others, the record a regular JSON file of the expected
 * shape, and the directory writable. A fault found there refuses the run with nothing changed; a write that
 * still fails after the NICs changed is reported as such by the caller, never as a crash.
 */
import { closeSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { RECORD_DIR, type OwnedEntry, type OwnedRecord } from '../core/owned-record.js';
import { createExclusive, RandomSourceMissing, tempPathFor, writeFileAtomic } from './atomic-file.js';
import { inspectFile } from './regular-file.js';

function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ASM_ERDMA_RUN_DIR ?? RECORD_DIR;
}

export const recordPath = (): string => join(stateDir(), 'owned.json');

const HINT = 'fix or remove it (ASM_ERDMA_RUN_DIR moves it); nothing was changed';

function refuse(what: string, hint = HINT): ExitError {
  return new ExitError('apply', `setup's record cannot be used: ${what}; nothing was changed`, hint);
}

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw refuse(`cannot inspect ${path}: ${errno(e)}`);
  }
}

/** A run directory someone else could write into (or redirect) would let them choose what reset removes. */
function checkRunDir(dir: string, st: Stats): void {
  if (st.isSymbolicLink())
    throw refuse(`${dir} is a symbolic link`, 'make it a real directory owned by root, mode 0755');
  if (!st.isDirectory()) throw refuse(`${dir} is not a directory`, 'remove it: setup creates the directory itself');
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== uid) throw refuse(`${dir} is owned by uid ${st.uid}, not root`, `chown root ${dir}`);
  if ((st.mode & 0o022) !== 0) {
    throw refuse(
      `${dir} is writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`,
      `chmod go-w ${dir}`,
    );
  }
}

function isEntry(v: unknown): v is OwnedEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.mac === 'string' && typeof e.address === 'string' && typeof e.prefix === 'number';
}

function parseRecord(path: string, text: string): OwnedRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw refuse(`${path} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Object.values(doc).every(isEntry)) {
    throw refuse(`${path} is not a record of NIC addresses`);
  }
  return doc as OwnedRecord;
}

/**
 * The record, after checking that it can be read and (unless `readOnly`, i.e. dry-run) written: the run
 * directory is created if missing and a probe file is created and removed in it.
 */
export function openRecord(options: { readOnly: boolean }): OwnedRecord {
  const dir = stateDir();
  let st = lstatOrUndefined(dir);
  if (!st) {
    if (options.readOnly) return {};
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch (e) {
      throw refuse(`cannot create ${dir}: ${errno(e)}`);
    }
    st = lstatOrUndefined(dir);
    if (!st) throw refuse(`${dir} vanished after it was created`);
  }
  checkRunDir(dir, st);
  const path = recordPath();
  // Its own regular file, or nothing: a link, FIFO or directory there is refused unopened.
  const file = inspectFile(path, { follow: false });
  if (file.kind === 'not-regular') throw refuse(`${path} is ${file.what}`);
  if (file.kind === 'unreadable') throw refuse(`cannot read ${path}: ${file.code}`);
  const record: OwnedRecord = file.kind === 'regular' ? parseRecord(path, file.content) : {};
  if (!options.readOnly) {
    const probe = tempPathFor(path);
    try {
      closeSync(createExclusive(probe, 0o600));
      unlinkQuietly(probe);
    } catch (e) {
      throw refuse(`cannot write in ${dir}: ${e instanceof RandomSourceMissing ? e.message : errno(e)}`);
    }
  }
  return record;
}

/**
 * rmSync(path, { force: true }) for one file, without Node 20's recursive remover (internal/fs/rimraf), which
 * rmSync loads even for a single file: a module load off every setup's path.
 */
function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function writeOwned(record: OwnedRecord, path = recordPath()): void {
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, 0o644);
}
