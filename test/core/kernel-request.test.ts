import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseUpgrade, upgradeCommand } from '../../src/core/kernel-policy.js';
import { kernelCheck } from '../../src/core/readiness.js';
import {
  formatKernel,
  parseKernelRelease,
  parseKernelRequest,
  type KernelRelease,
} from '../../src/core/kernel-release.js';

const k = (s: string): KernelRelease => parseKernelRelease(s) as KernelRelease;
const req = (s: string): KernelRelease => parseKernelRequest(s) as KernelRelease;
const min = k('5.10.134-16.3');
const running = k('5.10.134-16.2.al8.x86_64');

test('--to forms users type name the same repository kernel', () => {
  const available = ['16.3', '17', '17.1', '17.3'].map((r) => k(`5.10.134-${r}.al8.x86_64`));
  for (const to of [
    '5.10.134-17.3',
    '5.10.134-17.3.al8',
    '5.10.134-17.3.al8.x86_64',
    'kernel-5.10.134-17.3.al8.x86_64',
    'kernel-0:5.10.134-17.3.al8.x86_64',
  ]) {
    const c = chooseUpgrade(running, available, [], min, req(to));
    assert.equal(c.kind, 'install', to);
    if (c.kind === 'install') assert.equal(formatKernel(c.target), '5.10.134-17.3.al8.x86_64', to);
  }
  const seventeen = chooseUpgrade(running, available, [], min, req('5.10.134-17'));
  assert.equal(seventeen.kind === 'install' && formatKernel(seventeen.target), '5.10.134-17.al8.x86_64');
  assert.equal(parseKernelRequest('kernel'), undefined);
});

test('a request matching several kernels, or none, is refused with what to do', () => {
  const available = [k('5.10.134-17.3.al8.x86_64'), k('5.10.134-17.3.an8.x86_64')];
  const ambiguous = chooseUpgrade(running, available, [], min, req('5.10.134-17.3'));
  assert.deepEqual(ambiguous, {
    kind: 'refuse',
    code: 'usage',
    reason: '--to 5.10.134-17.3 matches 5.10.134-17.3.al8.x86_64, 5.10.134-17.3.an8.x86_64',
    hint: 'give the whole release, e.g. --to 5.10.134-17.3.an8.x86_64',
  });
  const exact = chooseUpgrade(running, available, [], min, req('5.10.134-17.3.an8'));
  assert.equal(exact.kind === 'install' && formatKernel(exact.target), '5.10.134-17.3.an8.x86_64');
  const absent = chooseUpgrade(running, available, [], min, req('5.10.134-18'));
  assert.equal(absent.kind, 'refuse');
  if (absent.kind === 'refuse') assert.equal(absent.code, 'packageNotFound');
});

test('the upgrade hint carries a minimum that is not the default', () => {
  assert.equal(upgradeCommand(k('5.10.134-16.3')), 'asm-erdma kernel upgrade');
  assert.equal(upgradeCommand(k('5.10.134-17.3')), 'asm-erdma kernel upgrade --min 5.10.134-17.3');
});

test('status gives the same upgrade hint as kernel check for a non-default minimum', () => {
  const check = kernelCheck(k('5.10.134-17.1.al8.x86_64'), [], k('5.10.134-17.3'));
  assert.deepEqual([check.state, check.fix], ['fail', 'asm-erdma kernel upgrade --min 5.10.134-17.3']);
  assert.equal(kernelCheck(running, [], min).fix, 'asm-erdma kernel upgrade');
});
