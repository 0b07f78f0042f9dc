import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitError } from '../../src/exit-codes.js';
import { runDiag, type DiagOptions } from '../../src/workflows/diag.js';
import { podTcp2smc } from '../../src/workflows/smc-namespaces.js';
import { Deadline } from '../../src/core/deadline.js';
import { FakeHost, node, podNetns, smcSocket } from '../helpers/fake-host.js';

const once: DiagOptions = { watchSeconds: undefined, count: undefined, timeoutSeconds: 20, filter: {} };

test('diag: one sample counts SMC-R connections and fallbacks, with the reason', async () => {
  const state = node(0);
  state.smcSamples = [[smcSocket('SMCR'), smcSocket('SMCR'), smcSocket('TCP', 0x03030000)]];
  const seen: number[] = [];
  const r = await runDiag(new FakeHost(state), once, (s) => seen.push(s.smcr));
  assert.deepEqual(seen, [2]);
  assert.equal(r.samples[0]?.fellBack, 1);
  assert.equal(r.samples[0]?.reasons.length, 1);
  assert.equal(r.fellBack, true);
});

test('diag --watch --count 3 takes three samples; no fallback in any is not fellBack', async () => {
  const state = node(0);
  state.smcSamples = [[smcSocket('SMCR')], [], [smcSocket('SMCR'), smcSocket('SMCR')]];
  const r = await runDiag(new FakeHost(state), { ...once, watchSeconds: 0.001, count: 3 }, () => undefined);
  assert.deepEqual(
    r.samples.map((s) => s.smcr),
    [1, 0, 2],
  );
  assert.equal(r.fellBack, false);
});

test('diag without the smc module or smcss stops at once naming both and the fix (exit 8)', async () => {
  const state = node(0);
  state.smcLoaded = false;
  state.tools.clear();
  const e = await runDiag(new FakeHost(state), once, () => undefined).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 8);
  assert.match(e.message, /the smc kernel module is not loaded .* and smcss is not installed/);
  assert.equal(e.hint, 'modprobe smc && yum install -y smc-tools');
});

test("diag reads every pod's namespace: fallbacks per pod, a vanished one skipped, a hung one timed-out", async () => {
  const state = node(0);
  state.netns = [
    podNetns('shop/cart', '1', [[smcSocket('SMCR'), smcSocket('TCP', 0x03030002)]]),
    podNetns('shop/api', '1', [[smcSocket('SMCR')]]),
    podNetns('web/front', '0', [[]]),
    podNetns('web/gone', '1', 'vanished'),
    podNetns('web/stuck', '1', 'hang'),
    podNetns('netns:dnsmasq', undefined, [[]]),
  ];
  const r = await runDiag(new FakeHost(state), once, () => undefined);
  const s = r.samples[0];
  assert.deepEqual([s?.connections, s?.smcr, s?.fellBack], [3, 2, 1]);
  assert.deepEqual(s?.netns, { read: 5, vanished: 1, timedOut: 1 });
  assert.deepEqual([s?.podNamespaces, s?.tcp2smcOn], [4, 2]);
  assert.equal(s?.pods[0]?.pod, 'shop/cart');
  assert.equal(s?.pods[0]?.reasons[0]?.name, 'NOSMCRDEV');
  assert.deepEqual(r.timedOut, ['web/stuck']);
  assert.equal(r.fellBack, true);
});

test('diag --pod / --namespace enter only the matching pods; a name that matches none is a usage error', async () => {
  const state = node(0);
  state.netns = [
    podNetns('shop/cart', '1', [[smcSocket('TCP', 0x03030002)]]),
    podNetns('shop/api', '1', [[smcSocket('SMCR')]]),
    podNetns('web/cart', '0', [[]]),
  ];
  const host = new FakeHost(state);
  const r = await runDiag(host, { ...once, filter: { namespace: 'shop' } }, () => undefined);
  assert.deepEqual(
    r.samples[0]?.pods.map((p) => p.pod),
    ['shop/cart', 'shop/api'],
  );
  assert.deepEqual([...state.entered].sort(), ['shop/api', 'shop/cart']);
  const both = await runDiag(host, { ...once, filter: { namespace: 'web', pod: 'cart' } }, () => undefined);
  assert.deepEqual(
    both.samples[0]?.pods.map((p) => p.pod),
    ['web/cart'],
  );
  const e = await runDiag(host, { ...once, filter: { pod: 'carts' } }, () => undefined).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 2);
  assert.equal(e.message, 'no pod named carts on this node');
});

test('status: tcp2smc counted over the pod namespaces, read inside each (not the host, not unnamed ones)', async () => {
  const state = node(0);
  state.hostTcp2smc = '1';
  state.netns = [
    podNetns('shop/cart', '1', [[]]),
    podNetns('shop/api', '0', [[]]),
    podNetns('web/front', '1', [[]]),
    podNetns('web/stuck', '1', 'hang'),
    podNetns('web/gone', '1', 'vanished'),
    podNetns('netns:dnsmasq', '1', [[]]),
  ];
  const r = await podTcp2smc(new FakeHost(state), new Deadline(5000));
  assert.deepEqual(r, { pods: 3, on: 2, unread: 1 });
  assert.ok(!state.entered.includes('host'));
});
