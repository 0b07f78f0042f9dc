/**
 * SMC and eRDMA facts read straight from /sys, /proc and PATH (files only: status spawns no process for
 * them). Every path goes through host/sysroot, so tests can point the CLI at a scratch tree.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parseListeners, type Listener } from '../core/proc-net-tcp.js';
import type { ErdmaDriverFacts, RpFilterFacts, SmcFacts } from '../core/smc-readiness.js';
import { listSysDir, readSysFile } from './sysroot.js';
import { SYSTEM_TOOL_DIRS } from './host-errors.js';

/**
 * The first executable file `name` on PATH, as a shell would find it (an empty entry is the current directory);
 * undefined when there is none.
 */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    const file = join(dir || '.', name);
    try {
      // No exception for the usual miss: each one costs a stack trace, and PATH may have a dozen entries.
      if (statSync(file, { throwIfNoEntry: false })?.isFile()) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // not here (or not ours to run)
    }
  }
  return undefined;
}

/**
 * Where a tool we run is: the first on PATH, else in /usr/sbin or /sbin (SYSTEM_TOOL_DIRS); undefined when nowhere.
 */
export function findTool(name: string, path = process.env.PATH ?? ''): string | undefined {
  return findOnPath(name, path) ?? findOnPath(name, SYSTEM_TOOL_DIRS.join(delimiter));
}

const moduleLoaded = (name: string): boolean => listSysDir(`/sys/module/${name}`) !== undefined;

/** SMC is there: the module, or (built into the kernel, no /sys/module entry) its net.smc sysctls. */
export const smcPresent = (): boolean => moduleLoaded('smc') || listSysDir('/proc/sys/net/smc') !== undefined;

export function smcFacts(): SmcFacts {
  return {
    smcLoaded: smcPresent(),
    smcDiagLoaded: moduleLoaded('smc_diag'),
    sysctls: listSysDir('/proc/sys/net/smc') ?? [],
    tcp2smc: readSysFile('/proc/sys/net/smc/tcp2smc'),
    smcss: findTool('smcss'),
  };
}

export function erdmaDriverFacts(devicesListed: boolean): ErdmaDriverFacts {
  return {
    loaded: moduleLoaded('erdma'),
    compatMode: readSysFile('/sys/module/erdma/parameters/compat_mode')?.trim(),
    devicesListed,
  };
}

/** TCP listeners of this network namespace, IPv4 and IPv6. */
export function tcpListeners(): Listener[] {
  const v4 = readSysFile('/proc/net/tcp');
  if (v4 === undefined) throw new Error('/proc/net/tcp is missing');
  return [...parseListeners(v4), ...parseListeners(readSysFile('/proc/net/tcp6') ?? '')];
}

function rpFilter(dev: string): number | undefined {
  const text = readSysFile(`/proc/sys/net/ipv4/conf/${dev}/rp_filter`);
  return text === undefined ? undefined : Number(text.trim());
}

export function rpFilterFacts(nics: string[]): RpFilterFacts {
  const all = rpFilter('all');
  if (all === undefined) throw new Error('/proc/sys/net/ipv4/conf/all/rp_filter is missing');
  return { all, nics: new Map(nics.map((n) => [n, rpFilter(n)])) };
}
