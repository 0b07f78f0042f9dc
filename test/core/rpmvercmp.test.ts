import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { rpmvercmp } from '../../src/core/rpmvercmp.js';
import {
  compareKernels,
  isExactly,
  meetsMinimum,
  parseKernelRelease,
  sortKernels,
  formatKernel,
} from '../../src/core/kernel-release.js';

// rpm's vectors as shared beside the repo; the committed copy keeps the test runnable in a lone clone.
const shared = join(REPO_ROOT, '../shared/facts/rpmvercmp-vectors.tsv');
const vectorsPath = existsSync(shared) ? shared : join(REPO_ROOT, 'test/fixtures/rpmvercmp-vectors.tsv');

test("rpm's own rpmvercmp vectors all pass", () => {
  const rows = readFileSync(vectorsPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t'));
  assert.ok(rows.length >= 80, `read ${rows.length} vectors`);
  const failures = rows
    .filter(([a = '', b = '', want = '']) => rpmvercmp(a, b) !== Number(want))
    .map((r) => r.join(' '));
  assert.deepEqual(failures, []);
});

const k = (s: string) => {
  const r = parseKernelRelease(s);
  assert.ok(r, s);
  return r;
};
const min = k('5.10.134-16.3');

test('kernel releases parse with or without arch and dist tag', () => {
  assert.deepEqual(k('5.10.134-16.3.al8.x86_64'), { version: '5.10.134', release: '16.3.al8', arch: 'x86_64' });
  assert.deepEqual(k('5.10.134-16.3'), { version: '5.10.134', release: '16.3', arch: undefined });
  assert.deepEqual(k('5.10.134-18.al8.aarch64'), { version: '5.10.134', release: '18.al8', arch: 'aarch64' });
  for (const bad of ['', '5.10.134', 'linux', '5.10.134-', '-16.3', '5.10.134-16.3 extra'])
    assert.equal(parseKernelRelease(bad), undefined, bad);
  assert.equal(formatKernel(k('5.10.134-16.3.al8.x86_64')), '5.10.134-16.3.al8.x86_64');
});

test('the minimum boundary the way rpm orders it', () => {
  const cases: [string, boolean][] = [
    ['5.10.134-16.2.al8.x86_64', false],
    ['5.10.134-16.3.al8.x86_64', true],
    ['5.10.134-16.10.al8.x86_64', true],
    ['5.10.134-17.al8.x86_64', true],
    ['5.10.134-16.al8.x86_64', false],
    ['5.10.134-15.al8.x86_64', false],
    ['5.10.99-1.al8.x86_64', false],
    ['5.10.135-1.al8.x86_64', true],
    ['5.10.134-16.3~rc1.al8.x86_64', false],
  ];
  for (const [release, meets] of cases) assert.equal(meetsMinimum(k(release), min), meets, release);
  assert.equal(meetsMinimum(k('5.10.134-17.1.al8.x86_64'), k('5.10.134-17.3')), false);
});

test('semver gets these wrong, which is why rpmvercmp is used', () => {
  // semver reads "-16.3" as a prerelease: 5.10.134-16.3 < 5.10.134 — rpm says the release is newer.
  assert.equal(semver.lt('5.10.134-16.3', '5.10.134'), true);
  // and compares "16.3.al8" to "16.al8" identifier by identifier, putting 16.3 below 16.
  assert.equal(semver.lt('5.10.134-16.3.al8', '5.10.134-16.al8'), true);
  assert.equal(compareKernels(k('5.10.134-16.3.al8'), k('5.10.134-16.al8')), 1);
});

test('exactly 16.3 ignores dist tag and arch only', () => {
  assert.equal(isExactly(k('5.10.134-16.3.al8.x86_64'), min), true);
  assert.equal(isExactly(k('5.10.134-16.3.al8.aarch64'), min), true);
  assert.equal(isExactly(k('5.10.134-16.3.1.al8.x86_64'), min), false);
  assert.equal(isExactly(k('5.10.134-16.30.al8.x86_64'), min), false);
});

test('sorting is rpm order, not string order', () => {
  const sorted = sortKernels(
    ['16.10', '16.3', '17', '16.2', '15', '16.1', '18', '17.3'].map((r) => k(`5.10.134-${r}.al8.x86_64`)),
  );
  assert.deepEqual(
    sorted.map((x) => x.release),
    ['15.al8', '16.1.al8', '16.2.al8', '16.3.al8', '16.10.al8', '17.al8', '17.3.al8', '18.al8'],
  );
});
