/**
 * Where the boot unit's ExecStart points, decided from paths alone: a binary inside the image root is named by
 * its path inside it, and a place a reboot may clear (or that a service may not see) is never baked in.
 */

/** `path` as seen from inside `root` (both real paths), or undefined when it lies outside. */
export function pathInsideRoot(path: string, root: string): string | undefined {
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  if (base === '') return path;
  return path.startsWith(`${base}/`) ? path.slice(base.length) : undefined;
}

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/** tmpfs or cleaned directories: what is there now may be gone after the next boot. */
const CLEARED = ['/tmp', '/var/tmp', '/run', '/var/run', '/dev/shm'];
/** Home directories: unmounted at boot on some nodes, and hidden from a sandboxed unit (ProtectHome=). */
const HOMES = ['/home', '/root'];

/** Why ExecStart must not name `path` (a path on the target), or undefined when it is a lasting place. */
export function volatileReason(path: string, home: string | undefined): string | undefined {
  const cleared = CLEARED.find((d) => under(path, d));
  if (cleared) return `${path} is under ${cleared}, which a reboot may clear`;
  const homes = [...HOMES, ...(home && home !== '/' ? [home] : [])];
  const homeDir = homes.find((d) => under(path, d));
  if (homeDir) return `${path} is in a home directory (${homeDir}), which the boot unit may not see`;
  return undefined;
}
