/**
 * Reading a file that someone may have replaced with something else. open() of a FIFO blocks until a writer
 * comes, and a blocked synchronous open holds the main thread: no deadline fires and no SIGTERM handler runs.
 * Opening a device may act (a watchdog starts counting). So the path is stat'ed first and anything but a regular
 * file is refused unopened; the open is non-blocking and its descriptor is checked again (the same file, still
 * regular) before it is read.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  type Stats,
  statSync,
} from 'node:fs';
import type { FileState } from '../core/file-state.js';

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/** "a FIFO", "a directory"…: what a non-regular file is, for messages. */
export function typeOf(st: Stats, path: string): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) {
    try {
      return `a symbolic link to ${readlinkSync(path)}`;
    } catch {
      return 'a symbolic link';
    }
  }
  return st.isFile() ? 'a regular file' : 'not a file';
}

/**
 * The state of `path`. `follow`: a symbolic link at the last component is followed (a configuration file may be
 * one); otherwise a link is itself "not regular" (a file asm-erdma replaces or removes must be its own).
 * ENOENT is absent; any other failure to look or read is unreadable.
 */
export function inspectFile(path: string, o: { follow: boolean }): FileState {
  let before: Stats;
  try {
    before = o.follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    const code = errno(e);
    return code === 'ENOENT' ? { kind: 'absent' } : { kind: 'unreadable', code };
  }
  if (!before.isFile()) return { kind: 'not-regular', what: typeOf(before, path) };
  let fd: number;
  try {
    const flags =
      constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (o.follow ? 0 : constants.O_NOFOLLOW);
    fd = openSync(path, flags);
  } catch (e) {
    const code = errno(e);
    if (code === 'ENOENT') return { kind: 'absent' };
    if (code === 'ELOOP' && !o.follow) return { kind: 'not-regular', what: 'a symbolic link' };
    return { kind: 'unreadable', code };
  }
  try {
    const now = fstatSync(fd);
    // Replaced between the stat and the open: judge what was opened.
    if (!now.isFile()) return { kind: 'not-regular', what: typeOf(now, path) };
    if (now.ino !== before.ino || now.dev !== before.dev) return { kind: 'unreadable', code: 'it changed while read' };
    return { kind: 'regular', content: readFileSync(fd, 'utf8') };
  } catch (e) {
    return { kind: 'unreadable', code: errno(e) };
  } finally {
    closeSync(fd);
  }
}
