/**
 * Paths inside an image root (`--root IMG`), resolved as if IMG were `/`: a symbolic link on the way is followed
 * with an absolute target taken from IMG and `..` stopping at IMG, so nothing under IMG can lead a write, a
 * removal or a read out of it (the kernel, given IMG/etc/..., would follow an absolute link into this machine).
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Linux gives up after 40 links in one lookup (ELOOP); so does this. */
const MAX_LINKS = 40;

export type RootedPath =
  | {
      ok: true;
      /** Where `path` is on this machine: under the root, through no symbolic link. */
      path: string;
      /**
       * Set when the kernel, given the literal root + path, would go somewhere else (an absolute link, or `..`
       * above the root): a tool such as `systemctl --root` that resolves paths the plain way would leave the image.
       */
      kernelLeaves?: { link: string; target: string };
    }
  | { ok: false; reason: string };

const components = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');

/**
 * Resolves `path` (absolute inside the image, or relative to its root) under `root`. Every component that exists
 * is looked at (lstat); from the first one that does not, the rest is taken as written. The last component is
 * followed too when it is a link (a caller that must not follow one lstat's the result's parent + name itself).
 */
export function resolveInRoot(root: string, path: string): RootedPath {
  const done: string[] = [];
  const todo = components(path);
  let links = 0;
  let missing = false;
  let kernelLeaves: { link: string; target: string } | undefined;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '..') {
      if (done.length === 0 && !missing) kernelLeaves ??= { link: join(root, c), target: '..' };
      done.pop();
      continue;
    }
    const here = join(root, ...done, c);
    if (missing) {
      done.push(c);
      continue;
    }
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(here);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: the root itself is not a directory (below it, components are checked before descending).
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { ok: false, reason: `cannot look at ${here}: ${code}` };
      missing = true;
      done.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { ok: false, reason: `${here}: too many levels of symbolic links` };
      const target = readlinkSync(here);
      if (target.startsWith('/')) {
        kernelLeaves ??= { link: here, target };
        done.length = 0;
      } else if (components(target)[0] === '..' && aboveRoot(done.length, target)) {
        kernelLeaves ??= { link: here, target };
      }
      todo.unshift(...components(target));
      continue;
    }
    if (todo.length > 0 && !st.isDirectory()) return { ok: false, reason: `${here} is not a directory` };
    done.push(c);
  }
  return { ok: true, path: join(root, ...done), ...(kernelLeaves ? { kernelLeaves } : {}) };
}

/** Whether a relative link target, met `depth` directories below the root, climbs above it. */
function aboveRoot(depth: number, target: string): boolean {
  let d = depth;
  for (const c of components(target)) {
    d += c === '..' ? -1 : 1;
    if (d < 0) return true;
  }
  return false;
}
