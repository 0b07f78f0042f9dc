/**
 * Files written whole or not at all: a temp file in the same directory, fsync, then rename over the target.
 * The temp file is created exclusively and never through a symlink (O_EXCL|O_NOFOLLOW, a random name): a link
 * planted in the directory cannot redirect the write, and rename() replaces a symlink target, never follows it.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Opens a new file that must not exist yet (no symlink followed); the caller closes it. */
export function createExclusive(path: string, mode: number): number {
  return openSync(path, CREATE_NEW, mode);
}

/** /dev/urandom could not be opened (a chroot without /dev): said as such, not as the file being written. */
export class RandomSourceMissing extends Error {
  constructor(readonly code: string) {
    super(`/dev/urandom cannot be opened (${code}); it names the temporary file`);
  }
}

/**
 * Random bytes from the kernel. Not node:crypto: loading it costs ~2 ms of every run's start-up (setup writes
 * its record each time) for six bytes.
 */
function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  let fd: number;
  try {
    fd = openSync('/dev/urandom', constants.O_RDONLY);
  } catch (e) {
    throw new RandomSourceMissing((e as NodeJS.ErrnoException).code ?? String(e));
  }
  try {
    readSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomHex(6)}.tmp`);
}

/**
 * `createDirs`: make missing parent directories (mode 0755) — after everything that can fail without a change.
 * `durable: false` skips the fsync: for a note that only says what happened (its loss in a crash costs nothing);
 * the rename still makes it whole or absent.
 */
export function writeFileAtomic(
  path: string,
  content: string,
  mode: number,
  o: { createDirs?: boolean; durable?: boolean } = {},
): void {
  const tmp = tempPathFor(path);
  if (o.createDirs) mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const fd = createExclusive(tmp, mode);
  try {
    fchmodSync(fd, mode); // the umask must not make a unit file unreadable
    writeSync(fd, content);
    if (o.durable !== false) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
