/** The node binary and this CLI as installed now: the boot unit must not depend on PATH at boot. */
import { realpathSync } from 'node:fs';

export function installedPaths(): { nodePath: string; cliPath: string } {
  return { nodePath: realpathSync(process.execPath), cliPath: realpathSync(process.argv[1] ?? '') };
}
