/**
 * How this CLI is started, as absolute paths, for the boot unit's ExecStart (it must not depend on PATH at boot),
 * and what an image root holds (workflows/exec-path.ts decides what ExecStart names).
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import { resolveInRoot } from './rooted-path.js';

/** The standalone binary (a SEA: argv[1] is the binary again) is one word; an npm install is node + script. */
export function installedPaths(): { exec: string[] } {
  const self = realpathSync(process.execPath);
  return { exec: isSea() ? [self] : [self, realpathSync(process.argv[1] ?? '')] };
}

/** A directory (following links); false for anything else or nothing. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Something at `path` inside `root`, a dangling link included (the unit's ExecStart check). */
export function existsInRoot(root: string, path: string): boolean {
  // The directories on the way resolved inside the image (an absolute link there means the image's own path, not
  // this machine's); the last component lstat'ed, since a link there points into the image too.
  const dir = resolveInRoot(root, dirname(path));
  if (!dir.ok) return false;
  try {
    lstatSync(join(dir.path, basename(path)));
    return true;
  } catch {
    return false;
  }
}

/** The real path (links resolved), or undefined when there is nothing there. */
export function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** This user's home directory (the boot unit must not run from it), if any. */
export function homeDirectory(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}
