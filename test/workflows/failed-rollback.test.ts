/**
 * A NIC whose rollback itself fails, and how setup's record follows it: the record decides what a later reset
 * removes, so after a failed rollback it must say what the NIC really carries (looked at once more), not what
 * the plan hoped for. Unit-tested end to end: workflow → real executor (its undo path) → core/owned-record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../src/core/deadline.js';
import type { Action } from '../../src/core/nic-plan.js';
import { recordAfterReset, recordAfterSetup } from '../../src/core/owned-record.js';
import { runReset } from '../../src/workflows/reset.js';
import { runSetup } from '../../src/workflows/setup.js';
import { addr, captureLog, FakeHost, link, macOf, node } from '../helpers/fake-host.js';

const deadline = () => new Deadline(10_000);
const setup = (host: FakeHost) =>
  runSetup(host, { interfaces: [], metadataUrl: 'http://m.test', deadline: deadline(), wait: false }, captureLog().log);
const reset = (host: FakeHost) =>
  runReset(host, { interfaces: [], all: false, metadataUrl: 'http://m.test', deadline: deadline() }, captureLog().log);
const ipv4 = (host: FakeHost, name: string) => host.state.links.find((l) => l.name === name)?.ipv4.map((a) => a.local);
const is = (a: Action, kind: Action['kind'], address?: string) =>
  a.kind === kind && (address === undefined || ('address' in a && a.address === address));
const EPERM = 'RTNETLINK answers: Operation not permitted';

test('setup: the new address and putting the old one back both fail → failed, the old entry is dropped', async () => {
  const state = node(1);
  state.links[1] = link('eth1', macOf(1), [addr('192.168.0.50', 24, { metric: 101 })], true);
  state.record = { eth1: { mac: macOf(1), address: '192.168.0.50', prefix: 24 } };
  const host = new FakeHost(state);
  // The stale address goes, the new one is refused, and re-adding the old one (the rollback) is refused too.
  host.failIp = (a) => (is(a, 'addr-add') ? EPERM : undefined);
  const r = await setup(host);
  assert.equal(r.nics[0]?.result, 'failed');
  assert.match(
    r.nics[0]?.error ?? '',
    /failed: RTNETLINK answers: Operation not permitted; rolling back also failed: /,
  );
  assert.deepEqual(ipv4(host, 'eth1'), []);
  assert.deepEqual(host.state.record, {}, 'reset must not think 192.168.0.50 is still ours to remove');
});

test('setup: a later step fails and removing the new address fails → failed, the new address is recorded', async () => {
  const state = node(1);
  // Without promote_secondaries, deleting the stale primary takes its secondary along: setup puts it back last.
  state.promoteSecondaries = false;
  state.links[1] = link('eth1', macOf(1), [
    addr('192.168.0.50', 24, { metric: 101 }),
    addr('192.168.0.60', 24, { metric: 101, secondary: true }),
  ]);
  state.record = { eth1: { mac: macOf(1), address: '192.168.0.50', prefix: 24 } };
  const host = new FakeHost(state);
  host.failIp = (a) => (is(a, 'addr-add', '192.168.0.60') || is(a, 'addr-del', '192.168.0.11') ? EPERM : undefined);
  const r = await setup(host);
  assert.equal(r.nics[0]?.result, 'failed');
  // The rest of the rollback still ran: the stale address is back and the link down again.
  assert.deepEqual(ipv4(host, 'eth1'), ['192.168.0.60', '192.168.0.11', '192.168.0.50']);
  assert.equal(host.state.links[1]?.adminUp, false);
  assert.deepEqual(host.state.record, { eth1: { mac: macOf(1), address: '192.168.0.11', prefix: 24 } });
});

test('reset: the address went, link down and putting it back both fail → failed, it leaves the record', async () => {
  const host = new FakeHost(node(2));
  await setup(host);
  host.failIp = (a) => ((is(a, 'link-down') || is(a, 'addr-add')) && a.dev === 'eth2' ? EPERM : undefined);
  const r = await reset(host);
  assert.deepEqual(
    r.nics.map((n) => n.result),
    ['changed', 'failed'],
  );
  assert.deepEqual(ipv4(host, 'eth2'), []);
  assert.deepEqual(host.state.record, {});
});

test('reset: the address stays, the link went down and bringing it up fails → failed, entry kept', async () => {
  const host = new FakeHost(node(2));
  await setup(host);
  // ip -batch -force goes on after the failed del: the link goes down, and the rollback's link up is refused.
  host.failIp = (a) => ((is(a, 'addr-del') || is(a, 'link-up')) && a.dev === 'eth2' ? EPERM : undefined);
  const r = await reset(host);
  assert.deepEqual(
    r.nics.map((n) => n.result),
    ['changed', 'failed'],
  );
  assert.match(
    r.nics[1]?.error ?? '',
    /^'ip addr del 192.168.0.12\/24 dev eth2' failed: .*; rolling back also failed: /,
  );
  assert.deepEqual(ipv4(host, 'eth2'), ['192.168.0.12']);
  assert.deepEqual(host.state.record, { eth2: { mac: macOf(2), address: '192.168.0.12', prefix: 24 } });
});

test('owned-record: a failed NIC follows the links; without a look at them (none failed) nothing is guessed', () => {
  const entry = { mac: macOf(1), address: '192.168.0.11', prefix: 24 };
  const old = { eth1: { mac: macOf(1), address: '192.168.0.50', prefix: 24 } };
  const carrying = (...locals: string[]) => [
    link(
      'eth1',
      macOf(1),
      locals.map((l) => addr(l)),
    ),
  ];
  const done = [{ name: 'eth1', entry, result: 'failed' as const }];
  assert.deepEqual(recordAfterSetup(old, done, carrying('192.168.0.11')), { eth1: entry });
  assert.deepEqual(recordAfterSetup(old, done, carrying('192.168.0.50')), old);
  assert.deepEqual(recordAfterSetup(old, done, carrying()), {});
  assert.deepEqual(recordAfterSetup(old, done, undefined), old);
  const resetDone = [{ name: 'eth1', result: 'failed' as const }];
  assert.deepEqual(recordAfterReset(old, resetDone, carrying('192.168.0.50')), old);
  assert.deepEqual(recordAfterReset(old, resetDone, carrying('192.168.0.11')), {});
  assert.deepEqual(recordAfterReset(old, [{ name: 'eth1', result: 'rolled-back' }], carrying()), old);
});
