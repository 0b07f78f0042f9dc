import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetnsTarget } from '../../src/core/netns.js';
import { aggregateNamespaces, matchesFilter, smcScopes, tcp2smcOn } from '../../src/core/smc-namespaces.js';
import type { SmcSocket } from '../../src/core/smcss.js';

const at = new Date('2026-12-04T06:00:00Z');
const sock = (mode: SmcSocket['mode'], reason?: number, peer = '192.168.0.40:8080'): SmcSocket => ({
  state: 'ACTIVE',
  peer,
  mode,
  reason,
  peerReason: undefined,
});
const pod = (netns: number, namespace: string, name: string): NetnsTarget => ({
  netns,
  kind: 'pod',
  label: `${namespace}/${name}`,
  pod: { namespace, name, uid: `uid-${netns}` },
  process: { pid: netns - 4026532000, comm: 'pause' },
  netnsName: null,
  paths: [],
});
const host: NetnsTarget = { ...pod(4026531840, 'x', 'y'), kind: 'host', label: 'host', pod: null };

test('per namespace and in total: counts, reasons merged across pods, fallbacks first, tcp2smc per pod', () => {
  const s = aggregateNamespaces(
    [
      { target: host, reading: { tcp2smc: '0', sockets: [] } },
      { target: pod(4026532001, 'shop', 'api'), reading: { tcp2smc: '1', sockets: [sock('SMCR'), sock('SMCR')] } },
      {
        target: pod(4026532002, 'shop', 'cart'),
        reading: { tcp2smc: '1', sockets: [sock('SMCR'), sock('TCP', 0x03030002), sock('TCP', 0x03030002)] },
      },
      {
        target: pod(4026532003, 'web', 'front'),
        reading: { tcp2smc: '1', sockets: [sock('TCP', 0x03030002, '192.168.0.41:1')] },
      },
      { target: pod(4026532004, 'kube-system', 'dns'), reading: { tcp2smc: '0', sockets: [] } },
      { target: pod(4026532005, 'web', 'slow'), reading: 'timed-out' },
    ],
    1,
    at,
  );
  assert.deepEqual([s.connections, s.smcr, s.fellBack], [6, 3, 3]);
  assert.equal(s.reasons.length, 1);
  assert.deepEqual(s.reasons[0]?.peers, [
    { address: '192.168.0.40', count: 2 },
    { address: '192.168.0.41', count: 1 },
  ]);
  assert.deepEqual(s.netns, { read: 5, vanished: 1, timedOut: 1 });
  assert.deepEqual([s.podNamespaces, s.tcp2smcOn], [5, 3]);
  assert.deepEqual(
    s.pods.map((p) => [p.pod, p.fellBack, p.connections, p.tcp2smc, p.state]),
    [
      ['shop/cart', 2, 3, true, 'ok'],
      ['web/front', 1, 1, true, 'ok'],
      ['shop/api', 0, 2, true, 'ok'],
      ['host', 0, 0, false, 'ok'],
      ['kube-system/dns', 0, 0, false, 'ok'],
      ['web/slow', 0, 0, null, 'timed-out'],
    ],
  );
  const cart = s.pods[0];
  assert.deepEqual(
    [cart?.namespace, cart?.name, cart?.uid, cart?.pid, cart?.process],
    ['shop', 'cart', 'uid-4026532002', 2, 'pause'],
  );
  assert.equal(cart?.reasons[0]?.name, 'NOSMCRDEV');
});

test('tcp2smc: 1 (or any non-zero) on, 0 off, no sysctl unknown', () => {
  assert.deepEqual(['1', '0', '2\n', undefined, 'x'].map(tcp2smcOn), [true, false, true, null, null]);
});

test('--pod / --namespace match pods only, both when both are given', () => {
  const cart = pod(4026532002, 'shop', 'cart');
  assert.equal(matchesFilter(host, {}), true);
  assert.equal(matchesFilter(host, { namespace: 'shop' }), false);
  assert.equal(matchesFilter(cart, { pod: 'cart' }), true);
  assert.equal(matchesFilter(cart, { namespace: 'shop' }), true);
  assert.equal(matchesFilter(cart, { namespace: 'shop', pod: 'api' }), false);
  assert.equal(matchesFilter(cart, { namespace: 'web', pod: 'cart' }), false);
});

test("metrics' readings: pods by namespace and name (or UID), host bare, others by inode if they have SMC", () => {
  const unnamed: NetnsTarget = {
    ...pod(4026532009, 'x', 'y'),
    label: 'pod u',
    pod: { namespace: null, name: null, uid: 'u' },
  };
  const other: NetnsTarget = { ...pod(4026532010, 'x', 'y'), kind: 'netns', label: 'netns:[4026532010]', pod: null };
  const s = aggregateNamespaces(
    [
      { target: host, reading: { tcp2smc: '0', sockets: [sock('SMCR')] } },
      { target: pod(4026532002, 'shop', 'cart'), reading: { tcp2smc: '1', sockets: [sock('TCP', 0x03030002)] } },
      { target: unnamed, reading: { tcp2smc: '1', sockets: [] } },
      { target: other, reading: { tcp2smc: undefined, sockets: [sock('SMCR')] } },
      {
        target: { ...other, netns: 4026532011, label: 'netns:[4026532011]' },
        reading: { tcp2smc: undefined, sockets: [] },
      },
      { target: pod(4026532005, 'web', 'slow'), reading: 'timed-out' },
    ],
    0,
    at,
  );
  assert.deepEqual(
    smcScopes(s).map((x) => [x.labels, x.sample.smcr, x.sample.fellBack, x.sample.at]),
    [
      [{ pod_namespace: 'shop', pod: 'cart' }, 0, 1, at.toISOString()],
      [{}, 1, 0, at.toISOString()],
      [{ netns: '4026532010' }, 1, 0, at.toISOString()],
      [{ pod_uid: 'u' }, 0, 0, at.toISOString()],
    ],
  );
});
