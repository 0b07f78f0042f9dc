/**
 * Where /sys and /proc facts are read from. ASM_ERDMA_SYSROOT (tests only) moves every such read into a
 * scratch tree, so the simulator can give the CLI an smc module, erdma parameters or listeners this
 * development kernel does not have. Unset on a node: the real /sys and /proc.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

function sysPath(path: string): string {
  const root = process.env.ASM_ERDMA_SYSROOT;
  return root ? join(root, path) : path;
}

/** The file's text, or undefined when it does not exist; other errors (EACCES…) are thrown. */
export function readSysFile(path: string): string | undefined {
  try {
    return readFileSync(sysPath(path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Entries of a directory, or undefined when it does not exist. */
export function listSysDir(path: string): string[] | undefined {
  try {
    return readdirSync(sysPath(path)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** The last component of a symbolic link's target (sysfs links: a driver's or a device's name); undefined if none. */
export function sysLinkName(path: string): string | undefined {
  try {
    return basename(readlinkSync(sysPath(path)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL') return undefined;
    throw e;
  }
}
