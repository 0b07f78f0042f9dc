/**
 * The ExecStart words for a unit written into `root` (an image, or this node when undefined): `--exec` when
 * given, else how this CLI runs here — named by its path inside the image when it lives there. Every path must
 * exist inside the root, and one a reboot may clear is refused, or the unit would fail at boot.
 */
import { pathInsideRoot, volatileReason } from '../core/exec-path.js';
import { ExitError } from '../exit-codes.js';
import type { Host } from '../host/host.js';

function isAbsolute(path: string): boolean {
  return path.startsWith('/');
}

/** How this CLI runs now, as paths on the target: inside the image root, each is named from the root. */
function ownPaths(host: Host, root: string | undefined): string[] {
  const exec = host.installedPaths().exec;
  const realRoot = root === undefined ? undefined : host.realPath(root);
  if (realRoot === undefined) return exec;
  return exec.map((p) => pathInsideRoot(p, realRoot) ?? p);
}

export function execForRoot(host: Host, root: string | undefined, execFlag: string | undefined): string[] {
  if (execFlag !== undefined && !isAbsolute(execFlag)) {
    const hint = 'give where asm-erdma lives inside the image, e.g. --exec /usr/bin/asm-erdma';
    throw new ExitError('usage', `--exec ${execFlag}: not an absolute path`, hint);
  }
  const exec = execFlag !== undefined ? [execFlag] : ownPaths(host, root);
  if (root === undefined) {
    // On this node, how it runs now exists by definition; an --exec path must exist too.
    if (execFlag !== undefined && !host.existsInRoot('/', execFlag)) {
      throw new ExitError(
        'usage',
        `--exec ${execFlag}: no such file on this node`,
        'give where asm-erdma is installed',
      );
    }
    return lasting(host, exec, execFlag);
  }
  // A root that is not a directory is reported by the workflow, with its own message.
  if (!host.isDirectory(root)) return exec;
  const missing = exec.find((p) => !host.existsInRoot(root, p));
  if (missing !== undefined) {
    const hint =
      execFlag !== undefined
        ? `install asm-erdma into the image first, or give the right --exec`
        : 'install asm-erdma into the image first (its RPM puts it at /usr/bin/asm-erdma), ' +
          'or say where it is: --exec PATH';
    const what = `--root ${root}: ${missing} does not exist inside the image, so the unit could not start`;
    throw new ExitError('usage', what, hint);
  }
  return lasting(host, exec, execFlag);
}

/** How this CLI runs now is refused when it lives where a reboot may clear it; --exec is the operator's word. */
function lasting(host: Host, exec: string[], execFlag: string | undefined): string[] {
  if (execFlag !== undefined) return exec;
  for (const path of exec) {
    const why = volatileReason(path, host.homeDirectory());
    if (why) {
      throw new ExitError(
        'usage',
        `the boot unit cannot start asm-erdma from where it runs now: ${why}`,
        'install the RPM (it puts asm-erdma at /usr/bin/asm-erdma), or say where it lives: --exec PATH',
      );
    }
  }
  return exec;
}
