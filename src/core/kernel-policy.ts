/** Pure kernel decisions: does the node meet the minimum, what to install, is the hotfix needed. */
import {
  compareKernels,
  formatKernel,
  isExactly,
  matchesRequest,
  meetsMinimum,
  parseKernelRelease,
  sortKernels,
  type KernelRelease,
} from './kernel-release.js';

export const DEFAULT_MIN_KERNEL = '5.10.134-16.3';

/** The netdev-leak fix for SMC on exactly 5.10.134-16.3 (pod deletion hangs in unregister_netdevice). */
export const HOTFIX = {
  forKernel: parseKernelRelease('5.10.134-16.3') as KernelRelease,
  packageName: 'kernel-hotfix-16664924-5.10.134-16.3',
};

/** The command that fixes "too old", carrying a non-default minimum so it aims at the same one. */
export function upgradeCommand(min: KernelRelease): string {
  const m = formatKernel(min);
  return `asm-erdma kernel upgrade${m === DEFAULT_MIN_KERNEL ? '' : ` --min ${m}`}`;
}

const newest = (ks: KernelRelease[]): KernelRelease | undefined => sortKernels(ks).at(-1);
const sameArch = (k: KernelRelease, running: KernelRelease): boolean =>
  !k.arch || !running.arch || k.arch === running.arch;

export interface KernelCheck {
  running: string;
  minimum: string;
  meets: boolean;
  /** Newest installed kernel, when it differs from the running one. */
  newerInstalled: string | null;
  /** Below the minimum, but an installed kernel meets it: only a reboot is missing. */
  rebootPending: boolean;
  /** The running kernel is exactly 5.10.134-16.3 and the hotfix is not installed (when that was asked). */
  hotfixNeeded: boolean;
}

export function checkKernel(
  running: KernelRelease,
  installed: KernelRelease[],
  min: KernelRelease,
  hotfixInstalled = false,
): KernelCheck {
  const top = newest(installed.filter((k) => sameArch(k, running)));
  const newer = top && compareKernels(top, running) > 0 ? top : undefined;
  const meets = meetsMinimum(running, min);
  return {
    running: formatKernel(running),
    minimum: formatKernel(min),
    meets,
    newerInstalled: newer ? formatKernel(newer) : null,
    rebootPending: !meets && newer !== undefined && meetsMinimum(newer, min),
    hotfixNeeded: isExactly(running, HOTFIX.forKernel) && !hotfixInstalled,
  };
}

export interface KernelRow {
  release: string;
  available: boolean;
  installed: boolean;
  running: boolean;
  /** null: unknown (no grubby on this node). */
  defaultBoot: boolean | null;
  meetsMinimum: boolean;
}

const key = (k: KernelRelease): string => `${k.version}-${k.release}`;

/** Every kernel known from the repositories, the rpm database and uname, in rpm order, each marked. */
export function kernelRows(
  available: KernelRelease[],
  installed: KernelRelease[],
  running: KernelRelease,
  /** undefined: no default entry found; null: cannot tell (no grubby). */
  defaultBoot: KernelRelease | undefined | null,
  min: KernelRelease,
): KernelRow[] {
  const all = new Map<string, KernelRelease>();
  for (const k of [...available, ...installed, running])
    if (sameArch(k, running)) all.set(key(k), all.get(key(k)) ?? k);
  const has = (list: KernelRelease[], k: KernelRelease): boolean => list.some((x) => key(x) === key(k));
  return sortKernels([...all.values()]).map((k) => ({
    release: formatKernel({ ...k, arch: k.arch ?? running.arch }),
    available: has(available, k),
    installed: has(installed, k),
    running: key(k) === key(running),
    defaultBoot: defaultBoot === null ? null : defaultBoot !== undefined && key(k) === key(defaultBoot),
    meetsMinimum: meetsMinimum(k, min),
  }));
}

export type UpgradeChoice =
  | { kind: 'nothing-to-do'; reason: string }
  | { kind: 'install'; target: KernelRelease; alreadyInstalled: boolean }
  | { kind: 'refuse'; code: 'usage' | 'packageNotFound'; reason: string; hint: string };

/**
 * What `kernel upgrade` does: with `to`, the one repository kernel that request names (refused below the
 * minimum, when absent or when it names several); without, nothing when the running kernel meets the minimum,
 * else the newest kernel the repositories offer.
 */
export function chooseUpgrade(
  running: KernelRelease,
  available: KernelRelease[],
  installed: KernelRelease[],
  min: KernelRelease,
  to: KernelRelease | undefined,
): UpgradeChoice {
  const candidates = available.filter((k) => sameArch(k, running));
  const isInstalled = (k: KernelRelease): boolean => installed.some((x) => key(x) === key(k));
  const list = 'see asm-erdma kernel list';
  if (to) {
    if (!meetsMinimum(to, min)) {
      const reason = `--to ${formatKernel(to)} is below the minimum ${formatKernel(min)}`;
      return { kind: 'refuse', code: 'usage', reason, hint: `pick one at or above it (${list}), or lower --min` };
    }
    const matches = sortKernels(candidates.filter((k) => matchesRequest(k, to)));
    const distinct = [...new Map(matches.map((k) => [formatKernel(k), k])).values()];
    if (distinct.length === 0) {
      const arch = running.arch ? ` for ${running.arch}` : '';
      const reason = `kernel ${formatKernel(to)} is not in any enabled repository${arch}`;
      return { kind: 'refuse', code: 'packageNotFound', reason, hint: list };
    }
    if (distinct.length > 1) {
      const reason = `--to ${formatKernel(to)} matches ${distinct.map(formatKernel).join(', ')}`;
      const hint = `give the whole release, e.g. --to ${formatKernel(distinct.at(-1) as KernelRelease)}`;
      return { kind: 'refuse', code: 'usage', reason, hint };
    }
    const match = distinct[0] as KernelRelease;
    return { kind: 'install', target: match, alreadyInstalled: isInstalled(match) };
  }
  if (meetsMinimum(running, min)) {
    return {
      kind: 'nothing-to-do',
      reason: `the running kernel ${formatKernel(running)} already meets the minimum ${formatKernel(min)}`,
    };
  }
  const top = newest(candidates);
  if (!top || !meetsMinimum(top, min)) {
    return {
      kind: 'refuse',
      code: 'packageNotFound',
      reason:
        `no kernel at or above ${formatKernel(min)} in the enabled repositories ` +
        `(newest: ${top ? formatKernel(top) : 'none'})`,
      hint: 'enable a repository that has one (yum repolist), or lower --min',
    };
  }
  return { kind: 'install', target: top, alreadyInstalled: isInstalled(top) };
}
