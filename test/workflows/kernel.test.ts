import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOTFIX } from '../../src/core/kernel-policy.js';
import { parseKernelRelease, type KernelRelease } from '../../src/core/kernel-release.js';
import type { ExitError } from '../../src/exit-codes.js';
import { runHotfix, runKernelUpgrade } from '../../src/workflows/kernel.js';
import { captureLog, FakeHost, node } from '../helpers/fake-host.js';

const k = (text: string) => parseKernelRelease(text) as KernelRelease;
const min = k('5.10.134-17.3.al8.x86_64');

function oldNode() {
  const state = node(0);
  state.running = '5.10.134-16.3.al8.x86_64';
  state.installed = ['5.10.134-16.3.al8.x86_64'];
  state.available = ['5.10.134-16.3.al8.x86_64', '5.10.134-17.3.al8.x86_64'];
  return state;
}

test('kernel upgrade --dry-run: names the yum command, asks nothing, installs nothing', async () => {
  const host = new FakeHost(oldNode(), { dryRun: true });
  host.root = false;
  const r = await runKernelUpgrade(host, { min, to: undefined, yes: false, reboot: true }, captureLog().log);
  assert.deepEqual(r.commands, ['yum install -y kernel-5.10.134-17.3.al8.x86_64', 'reboot']);
  // A dry run never says it is doing something.
  assert.match(
    r.message,
    /^would install kernel-5\.10\.134-17\.3\.al8\.x86_64; would reboot into it now \(--reboot\)$/,
  );
  assert.doesNotMatch(r.message, /rebooting|installing/);
  assert.deepEqual([r.installed, r.rebooting, r.defaultBoot], [false, false, null]);
  assert.deepEqual(host.log, []);
});

test('kernel upgrade --yes --reboot: installs, sees the new default entry, reboots', async () => {
  const host = new FakeHost(oldNode());
  const r = await runKernelUpgrade(host, { min, to: undefined, yes: true, reboot: true }, captureLog().log);
  assert.deepEqual(host.log, [
    'ask: install kernel-5.10.134-17.3.al8.x86_64?',
    'yum install -y kernel-5.10.134-17.3.al8.x86_64',
    'reboot',
  ]);
  assert.deepEqual(
    [r.installed, r.defaultBoot, r.defaultBootIsTarget, r.rebooting],
    [true, '5.10.134-17.3.al8.x86_64', true, true],
  );
  assert.equal(host.state.rebooted, true);
});

test('kernel upgrade without --yes and no answer changes nothing (exit 13); without root, exit 3', async () => {
  const host = new FakeHost(oldNode());
  const e = await runKernelUpgrade(host, { min, to: undefined, yes: false, reboot: false }, captureLog().log).catch(
    (x: unknown) => x,
  );
  assert.equal((e as ExitError).code, 13);
  assert.deepEqual(host.state.installed, ['5.10.134-16.3.al8.x86_64']);
  const user = new FakeHost(oldNode());
  user.root = false;
  const denied = await runKernelUpgrade(user, { min, to: undefined, yes: true, reboot: false }, captureLog().log).catch(
    (x: unknown) => x,
  );
  assert.equal((denied as ExitError).code, 3);
});

test('hotfix on 16.3 installs the hotfix package; again, it is already installed', async () => {
  const host = new FakeHost(oldNode());
  const r = await runHotfix(host, { yes: true, min: k('5.10.134-16.3.al8.x86_64') }, captureLog().log);
  assert.deepEqual([r.needed, r.installed, r.commands], [true, true, [`yum install -y ${HOTFIX.packageName}`]]);
  assert.ok(host.state.packages.has(HOTFIX.packageName));
  const again = await runHotfix(host, { yes: true, min: k('5.10.134-16.3.al8.x86_64') }, captureLog().log);
  assert.deepEqual([again.alreadyInstalled, again.installed], [true, false]);
});
