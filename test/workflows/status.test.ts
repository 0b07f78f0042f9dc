import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../src/core/deadline.js';
import { DEFAULT_MIN_KERNEL } from '../../src/core/kernel-policy.js';
import { parseKernelRelease, type KernelRelease } from '../../src/core/kernel-release.js';
import { runSetup } from '../../src/workflows/setup.js';
import { runStatus, statusFailure } from '../../src/workflows/status.js';
import { captureLog, FakeHost, node } from '../helpers/fake-host.js';

const min = parseKernelRelease(`${DEFAULT_MIN_KERNEL}.al8.x86_64`) as KernelRelease;
const status = (host: FakeHost) =>
  runStatus(host, { min, metadataUrl: 'http://metadata.test', deadline: new Deadline(10_000) }, captureLog().log);
const byId = (checks: { id: string; state: string; fix: string | null }[]) =>
  Object.fromEntries(checks.map((c) => [c.id, c]));

test('status before setup: each NIC fails, and one `asm-erdma setup` fix covers them all', async () => {
  const r = await status(new FakeHost(node(2)));
  const c = byId(r.checks);
  assert.equal(c['nic:eth1']?.state, 'fail');
  assert.equal(c['nic:eth2']?.state, 'fail');
  assert.deepEqual([c['nic:eth1']?.fix, c['nic:eth2']?.fix], ['asm-erdma setup', 'asm-erdma setup']);
  assert.equal(r.ready, false);
  assert.ok(r.failed >= 2);
});

test('status after setup: the NICs and the metadata answers check out; the boot unit is missing', async () => {
  const host = new FakeHost(node(2));
  await runSetup(
    host,
    { interfaces: [], metadataUrl: 'http://m.test', deadline: new Deadline(10_000), wait: false },
    captureLog().log,
  );
  const c = byId((await status(host)).checks);
  assert.deepEqual(
    ['nic:eth1', 'nic:eth2', 'metadata', 'primary-nic', 'erdma-devices', 'kernel'].map((id) => [id, c[id]?.state]),
    [
      ['nic:eth1', 'ok'],
      ['nic:eth2', 'ok'],
      ['metadata', 'ok'],
      ['primary-nic', 'ok'],
      ['erdma-devices', 'ok'],
      ['kernel', 'ok'],
    ],
  );
  assert.deepEqual([c['boot-unit']?.state, c['boot-unit']?.fix], ['warn', 'asm-erdma install-service']);
});

test('status on a node without an eRDMA NIC never contacts the metadata server', async () => {
  const host = new FakeHost(node(0));
  const c = byId((await status(host)).checks);
  assert.deepEqual(host.asked, []);
  assert.equal(c.metadata?.state, 'ok');
});

test('status still reports when rdma is unavailable and the kernel is below the minimum', async () => {
  const state = node(1);
  state.rdma = undefined;
  state.running = '5.10.134-15.al8.x86_64';
  state.installed = ['5.10.134-15.al8.x86_64'];
  const r = await status(new FakeHost(state));
  const c = byId(r.checks);
  assert.equal(c['erdma-devices']?.state, 'fail');
  assert.equal(c.kernel?.state, 'fail');
  assert.equal(r.ready, false);
});

test('statusFailure: a tool killed at the deadline is exit 9 naming it, before "not ready" (14)', async () => {
  const deadline = 2.5;
  const host = new FakeHost(node(1));
  const notReady = await status(host);
  assert.equal(statusFailure(host, notReady, deadline)?.code, 14);
  host.killed.push('rpm', 'systemctl');
  const hung = statusFailure(host, notReady, deadline);
  assert.equal(hung?.code, 9);
  assert.equal(hung?.message, 'rpm did not answer within 2.5 s; it was killed (its check is marked above)');
  assert.equal(hung?.hint, 'run it by hand to see why it hangs');
  assert.equal(statusFailure(new FakeHost(node(1)), { ...notReady, ready: true }, deadline), undefined);
});
