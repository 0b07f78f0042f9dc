import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinkInfo } from '../../src/core/iproute-json.js';
import { describeAction, inverseOf, planReset, planSetup, tookEffect, type Action } from '../../src/core/nic-plan.js';

const desired = { address: '192.168.0.11', prefix: 24, gateway: '192.168.0.253' };
const link = (adminUp: boolean, ipv4: LinkInfo['ipv4'] = []): LinkInfo => ({
  name: 'eth1',
  mac: '00:16:3e:00:00:01',
  adminUp,
  operstate: adminUp ? 'UP' : 'DOWN',
  ipv4,
});
const ours = { local: '192.168.0.11', prefixlen: 24, scope: 'global', metric: 101, secondary: false };

test('setup on a down, bare NIC: link up then the address with the metric (as the bash script)', () => {
  const plan = planSetup(link(false), desired, 101);
  assert.deepEqual(plan.actions.map(describeAction), [
    'ip link set dev eth1 up',
    'ip addr add 192.168.0.11/24 dev eth1 metric 101',
  ]);
  assert.deepEqual(plan.foreign, []);
});

test('setup on a configured NIC plans nothing', () => {
  assert.deepEqual(planSetup(link(true, [ours]), desired, 101).actions, []);
});

test('setup fixes a wrong metric in place and a wrong prefix by re-adding', () => {
  assert.deepEqual(planSetup(link(true, [{ ...ours, metric: 0 }]), desired, 101).actions.map(describeAction), [
    'ip addr replace 192.168.0.11/24 dev eth1 metric 101',
  ]);
  assert.deepEqual(planSetup(link(true, [{ ...ours, prefixlen: 16 }]), desired, 101).actions.map(describeAction), [
    'ip addr del 192.168.0.11/16 dev eth1',
    'ip addr add 192.168.0.11/24 dev eth1 metric 101',
  ]);
});

test('setup reports foreign global addresses and leaves them', () => {
  const foreign = { local: '192.168.0.99', prefixlen: 24, scope: 'global', metric: 0, secondary: true };
  const plan = planSetup(
    link(true, [foreign, { local: '127.0.0.2', prefixlen: 8, scope: 'host', metric: 0, secondary: false }]),
    desired,
    101,
  );
  assert.deepEqual(plan.foreign, [foreign]);
  assert.deepEqual(
    plan.actions.map((a) => a.kind),
    ['addr-add'],
  );
});

test('every action has an inverse that undoes it', () => {
  const actions: Action[] = [
    { kind: 'link-up', dev: 'eth1' },
    { kind: 'addr-add', dev: 'eth1', address: '1.2.3.4', prefix: 24, metric: 5 },
    { kind: 'addr-replace', dev: 'eth1', address: '1.2.3.4', prefix: 24, metric: 5, previousMetric: 0 },
  ];
  assert.deepEqual(
    actions.map((a) => describeAction(inverseOf(a))),
    ['ip link set dev eth1 down', 'ip addr del 1.2.3.4/24 dev eth1', 'ip addr replace 1.2.3.4/24 dev eth1 metric 0'],
  );
  for (const a of actions) assert.deepEqual(inverseOf(inverseOf(a)), a);
});

test('reset removes only owned addresses; --all removes every global one, secondaries first', () => {
  const foreign = { local: '192.168.0.99', prefixlen: 24, scope: 'global', metric: 0, secondary: true };
  const owned = [{ address: '192.168.0.11', prefix: 24 }];
  assert.deepEqual(planReset(link(true, [ours]), owned).actions.map(describeAction), [
    'ip addr del 192.168.0.11/24 dev eth1',
    'ip link set dev eth1 down',
  ]);
  const mixed = planReset(link(true, [ours, foreign]), owned);
  assert.deepEqual(
    mixed.actions.map(describeAction),
    ['ip addr del 192.168.0.11/24 dev eth1'],
    'stays up for the foreign address',
  );
  assert.deepEqual(mixed.kept, [foreign]);
  assert.deepEqual(planReset(link(true, [ours, foreign]), 'all').actions.map(describeAction), [
    'ip addr del 192.168.0.99/24 dev eth1',
    'ip addr del 192.168.0.11/24 dev eth1',
    'ip link set dev eth1 down',
  ]);
  assert.deepEqual(planReset(link(false), owned).actions, []);
});

test('without promote_secondaries, a kept secondary lost with our primary is put back', () => {
  const foreign = { local: '192.168.0.99', prefixlen: 24, scope: 'global', metric: 0, secondary: true };
  const owned = [{ address: '192.168.0.11', prefix: 24 }];
  assert.deepEqual(planReset(link(true, [ours, foreign]), owned, false).actions.map(describeAction), [
    'ip addr del 192.168.0.11/24 dev eth1',
    'ip addr add 192.168.0.99/24 dev eth1 metric 0',
  ]);
  assert.deepEqual(planReset(link(true, [ours, foreign]), owned, true).actions.map(describeAction), [
    'ip addr del 192.168.0.11/24 dev eth1',
  ]);
});

test('setup replaces an address its record owns and metadata no longer gives; an unrecorded one stays', () => {
  const old = { local: '192.168.0.102', prefixlen: 24, scope: 'global', metric: 101, secondary: false };
  const owned = [{ address: '192.168.0.102', prefix: 24 }];
  const plan = planSetup(link(true, [old]), desired, 101, owned);
  assert.deepEqual(plan.actions.map(describeAction), [
    'ip addr del 192.168.0.102/24 dev eth1',
    'ip addr add 192.168.0.11/24 dev eth1 metric 101',
  ]);
  assert.deepEqual([plan.stale, plan.foreign], [[old], []]);
  const unrecorded = planSetup(link(true, [old]), desired, 101, []);
  assert.deepEqual([unrecorded.stale, unrecorded.foreign], [[], [old]]);
  assert.deepEqual(unrecorded.actions.map(describeAction), ['ip addr add 192.168.0.11/24 dev eth1 metric 101']);
  const otherPrefix = planSetup(link(true, [old]), desired, 101, [{ address: '192.168.0.102', prefix: 16 }]);
  assert.deepEqual(otherPrefix.stale, [], 'prefix must match too');
  // The record's own current address is never stale.
  assert.deepEqual(planSetup(link(true, [ours]), desired, 101, [{ address: '192.168.0.11', prefix: 24 }]).actions, []);
});

test('without promote_secondaries a stale primary takes its secondaries along: all are put back', () => {
  const old = { local: '192.168.0.102', prefixlen: 24, scope: 'global', metric: 101, secondary: false };
  const foreign = { local: '192.168.0.99', prefixlen: 24, scope: 'global', metric: 0, secondary: true };
  const owned = [{ address: '192.168.0.102', prefix: 24 }];
  assert.deepEqual(planSetup(link(true, [old, foreign]), desired, 101, owned, false).actions.map(describeAction), [
    'ip addr del 192.168.0.102/24 dev eth1',
    'ip addr add 192.168.0.11/24 dev eth1 metric 101',
    'ip addr add 192.168.0.99/24 dev eth1 metric 0',
  ]);
  assert.deepEqual(planSetup(link(true, [old, foreign]), desired, 101, owned, true).actions.map(describeAction), [
    'ip addr del 192.168.0.102/24 dev eth1',
    'ip addr add 192.168.0.11/24 dev eth1 metric 101',
  ]);
  const oursSecondary = { ...ours, secondary: true };
  const withOurs = planSetup(link(true, [old, oursSecondary]), desired, 101, owned, false);
  assert.deepEqual(
    withOurs.actions.map(describeAction),
    ['ip addr del 192.168.0.102/24 dev eth1', 'ip addr add 192.168.0.11/24 dev eth1 metric 101'],
    'our address goes with the stale primary, so it is added again',
  );
});

test('an odd interface name is quoted in printed commands', () => {
  assert.equal(describeAction({ kind: 'link-up', dev: 'eth0#1' }), "ip link set dev 'eth0#1' up");
});

test('tookEffect reads an action off the links after a batch that stopped part-way', () => {
  const after = [link(true, [ours])];
  assert.equal(tookEffect({ kind: 'link-up', dev: 'eth1' }, after), true);
  assert.equal(tookEffect({ kind: 'link-down', dev: 'eth1' }, after), false);
  const a = { dev: 'eth1', address: '192.168.0.11', prefix: 24, metric: 101 };
  assert.equal(tookEffect({ kind: 'addr-add', ...a }, after), true);
  assert.equal(tookEffect({ kind: 'addr-add', ...a, prefix: 16 }, after), false);
  assert.equal(tookEffect({ kind: 'addr-del', ...a, address: '192.168.0.12' }, after), true);
  assert.equal(tookEffect({ kind: 'addr-replace', ...a, previousMetric: 0 }, after), true);
  assert.equal(tookEffect({ kind: 'addr-replace', ...a, metric: 7, previousMetric: 101 }, after), false);
  assert.equal(tookEffect({ kind: 'link-up', dev: 'eth9' }, after), false);
});
