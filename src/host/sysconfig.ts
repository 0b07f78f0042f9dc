/** Reads /etc/sysconfig/asm-erdma (ASM_ERDMA_SYSCONFIG moves it, for tests); a missing file means no defaults. */
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { parseSysconfig, SYSCONFIG_PATH, type SysconfigEntry, type SysconfigKey } from '../core/sysconfig.js';
import { inspectFile } from './regular-file.js';
import { resolveInRoot } from './rooted-path.js';

export interface Sysconfig {
  path: string;
  entries: Map<SysconfigKey, SysconfigEntry>;
}

/**
 * The file this run reads: under an image root (install-service --root) the image's own, with links on the way
 * followed inside the image (an absolute link there means the image's file, not this machine's).
 */
export function sysconfigPath(root?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (root !== undefined) {
    const r = resolveInRoot(root, SYSCONFIG_PATH);
    if (!r.ok) throw new ExitError('usage', `--root ${root}: ${r.reason}`, `fix ${join(root, SYSCONFIG_PATH)}`);
    return r.path;
  }
  return env.ASM_ERDMA_SYSCONFIG || SYSCONFIG_PATH;
}

/**
 * Only a regular file is read: a FIFO (or a socket, a device, a directory) is refused unopened, so it can never
 * hold the run past its deadline.
 */
export function readSysconfig(path: string): Sysconfig {
  const state = inspectFile(path, { follow: true });
  if (state.kind === 'absent') return { path, entries: new Map() };
  if (state.kind === 'not-regular') {
    const hint = `it must be a regular file of KEY=value lines: replace or remove ${path}`;
    throw new ExitError('usage', `${path} is ${state.what}, not a regular file`, hint);
  }
  if (state.kind === 'unreadable') {
    const hint = state.code === 'EACCES' ? 'make it readable (chmod 644), or run as root' : `fix or remove ${path}`;
    throw new ExitError('usage', `cannot read ${path}: ${state.code}`, hint);
  }
  const parsed = parseSysconfig(state.content);
  if (!parsed.ok) throw new ExitError('usage', `${path} line ${parsed.line}: ${parsed.message}`, parsed.hint);
  return { path, entries: parsed.entries };
}
