/**
 * How this CLI is started, as absolute paths, for the boot unit's ExecStart (it must not depend on PATH at boot),
 * and the check that an image root really contains what ExecStart names.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { isSea } from 'node:sea';
import { ExitError } from '../exit-codes.js';

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

function existsInRoot(root: string, path: string): boolean {
  try {
    // lstat: an absolute symlink in the image points into the image, not into this host.
    lstatSync(join(root, path));
    return true;
  } catch {
    return false;
  }
}

/**
 * The ExecStart words for a unit written into `root` (an image, or '/' for this node): `--exec` when given,
 * else how this CLI runs here. Every path must exist inside the root, or the unit would fail at boot.
 */
export function execForRoot(root: string | undefined, execFlag: string | undefined): string[] {
  if (execFlag !== undefined && !isAbsolute(execFlag)) {
    const hint = 'give where asm-erdma lives inside the image, e.g. --exec /usr/bin/asm-erdma';
    throw new ExitError('usage', `--exec ${execFlag}: not an absolute path`, hint);
  }
  const exec = execFlag !== undefined ? [execFlag] : installedPaths().exec;
  if (root === undefined) {
    // On this node, how it runs now exists by definition; an --exec path must exist too.
    if (execFlag !== undefined && !existsInRoot('/', execFlag)) {
      throw new ExitError(
        'usage',
        `--exec ${execFlag}: no such file on this node`,
        'give where asm-erdma is installed',
      );
    }
    return exec;
  }
  // A root that is not a directory is reported by the workflow, with its own message.
  if (!isDirectory(root)) return exec;
  const missing = exec.find((p) => !existsInRoot(root, p));
  if (missing !== undefined) {
    const hint =
      execFlag !== undefined
        ? `install asm-erdma into the image first, or give the right --exec`
        : 'install asm-erdma into the image first (its RPM puts it at /usr/bin/asm-erdma), ' +
          'or say where it is: --exec PATH';
    const what = `--root ${root}: ${missing} does not exist inside the image, so the unit could not start`;
    throw new ExitError('usage', what, hint);
  }
  return exec;
}
