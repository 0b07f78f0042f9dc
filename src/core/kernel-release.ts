/**
 * Kernel releases as `uname -r` prints them (5.10.134-16.3.al8.x86_64) and as the minimum is written
 * (5.10.134-16.3): version and release, each ordered by rpmvercmp; the arch is not part of the order.
 */
import { rpmvercmp } from './rpmvercmp.js';

export interface KernelRelease {
  version: string;
  release: string;
  arch: string | undefined;
}

const ARCHES = new Set(['x86_64', 'aarch64', 'noarch', 'i686', 'i386', 'ppc64le', 's390x', 'loongarch64', 'riscv64']);
/** Alibaba Cloud Linux (al8) and Anolis (an8) dist tags: "exactly 16.3" ignores them. */
const DIST_TAG = /\.(al|an)\d+$/;

export function parseKernelRelease(text: string): KernelRelease | undefined {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)*)-([0-9A-Za-z._+~^]+)$/.exec(t);
  if (!m) return undefined;
  let release = m[2] as string;
  let arch: string | undefined;
  const last = release.slice(release.lastIndexOf('.') + 1);
  if (release.includes('.') && ARCHES.has(last)) {
    arch = last;
    release = release.slice(0, release.lastIndexOf('.'));
  }
  if (release === '' || !/^[0-9A-Za-z]/.test(release)) return undefined;
  return { version: m[1] as string, release, arch };
}

/**
 * What a user types for a kernel to install: 5.10.134-16.3, 5.10.134-16.3.al8, 5.10.134-16.3.al8.x86_64 or the
 * package name kernel-5.10.134-16.3.al8.x86_64 (an epoch, kernel-0:5.10…, is ignored like uname -r does).
 */
export function parseKernelRequest(text: string): KernelRelease | undefined {
  return parseKernelRelease(
    text
      .trim()
      .replace(/^kernel-/, '')
      .replace(/^\d+:/, ''),
  );
}

/** Does a repository kernel answer a request? The dist tag and the arch may be left out of the request. */
export function matchesRequest(k: KernelRelease, want: KernelRelease): boolean {
  if (k.version !== want.version) return false;
  if (want.arch && k.arch && want.arch !== k.arch) return false;
  return k.release === want.release || k.release.replace(DIST_TAG, '') === want.release;
}

export function compareKernels(a: KernelRelease, b: KernelRelease): -1 | 0 | 1 {
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

export function formatKernel(k: KernelRelease): string {
  return `${k.version}-${k.release}${k.arch ? `.${k.arch}` : ''}`;
}

export function meetsMinimum(k: KernelRelease, min: KernelRelease): boolean {
  return compareKernels(k, min) >= 0;
}

/** Same version and release once the dist tag is dropped: 5.10.134-16.3.al8.aarch64 is "exactly 16.3". */
export function isExactly(k: KernelRelease, target: KernelRelease): boolean {
  return k.version === target.version && k.release.replace(DIST_TAG, '') === target.release.replace(DIST_TAG, '');
}

export function sortKernels(ks: KernelRelease[]): KernelRelease[] {
  return [...ks].sort(compareKernels);
}
