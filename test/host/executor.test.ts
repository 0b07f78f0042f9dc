import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Effect } from '../../src/core/effects.js';
import type { Action } from '../../src/core/nic-plan.js';
import { Deadline } from '../../src/core/deadline.js';
import { ExitCode, ExitError } from '../../src/exit-codes.js';
import { EffectsFailed } from '../../src/host/host-errors.js';
import { FakeHost, node } from '../helpers/fake-host.js';

const enable = (unit: string): Effect => ({ kind: 'systemctl', verb: 'enable', unit });
const write = (path: string, content: string, previous?: string, reloadOnUndo = false): Effect => ({
  kind: 'write-file',
  path,
  content,
  previous,
  reloadOnUndo,
});

test('apply: effects run in order and their descriptions are returned', async () => {
  const host = new FakeHost(node(0));
  const r = await host.changes.apply([write('/a', 'A'), enable('x.service')]);
  assert.deepEqual(r, { changes: ['write /a (mode 0644)', 'systemctl enable x.service'], applied: true });
  assert.deepEqual(host.log, r.changes);
  assert.equal(host.state.files.get('/a'), 'A');
});

test('apply under dry-run changes nothing and returns what would run', async () => {
  const host = new FakeHost(node(0), { dryRun: true });
  const r = await host.changes.apply([write('/a', 'A'), { kind: 'write-record', path: '/run/r', record: {} }]);
  assert.deepEqual(r, { changes: ['write /a (mode 0644)', 'write /run/r'], applied: false });
  assert.deepEqual(host.log, []);
  assert.equal(host.state.files.size, 0);
});

test('apply: a failure undoes what succeeded, newest first, and the node is as before', async () => {
  const state = node(0);
  state.files.set('/b', 'old b');
  const host = new FakeHost(state);
  host.failEffect = (e) => (e.kind === 'systemctl' && e.verb === 'daemon-reload' ? 'boom' : undefined);
  const effects: Effect[] = [
    write('/a', 'A', undefined, true),
    write('/b', 'B', 'old b'),
    enable('x.service'),
    { kind: 'systemctl', verb: 'daemon-reload' },
  ];
  const e = await host.changes.apply(effects).catch((x: unknown) => x);
  assert.ok(e instanceof EffectsFailed);
  assert.equal(e.code, 6);
  assert.deepEqual(e.undone, [
    'systemctl disable x.service',
    'restore the previous /b',
    'remove /a, systemctl daemon-reload',
  ]);
  assert.match(e.message, /'systemctl daemon-reload' failed: boom; put back as it was: systemctl disable x.service, /);
  assert.deepEqual([...state.files], [['/b', 'old b']]);
  assert.equal(state.enabled.get('x.service'), 'disabled');
});

test('apply: a first-step failure changed nothing; a failing undo is reported and the rest still undone', async () => {
  const first = new FakeHost(node(0));
  first.failEffect = () => 'no';
  await assert.rejects(first.changes.apply([write('/a', 'A')]), /failed: no; nothing was changed$/);

  const host = new FakeHost(node(0));
  host.failEffect = (e) =>
    (e.kind === 'restore-file' && e.path === '/b') || (e.kind === 'systemctl' && e.verb === 'start')
      ? 'stuck'
      : undefined;
  const e = await host.changes
    .apply([write('/a', 'A'), write('/b', 'B'), { kind: 'systemctl', verb: 'start', unit: 'u' }])
    .catch((x: unknown) => x);
  assert.ok(e instanceof EffectsFailed);
  assert.deepEqual(e.undone, ['remove /a']);
  assert.match(e.message, /putting back also failed: 'remove \/b' failed: stuck$/);
  assert.equal(host.state.files.has('/a'), false);
});

/** The outcomes of plans given as bare action lists. */
async function changeLinks(host: FakeHost, plans: Action[][]) {
  return (
    await host.changes.changeLinks(
      plans.map((actions) => ({ actions })),
      (p) => p.actions,
    )
  ).map((p) => p.outcome);
}

const up = (dev: string): Action => ({ kind: 'link-up', dev });
const add = (dev: string, address: string): Action => ({ kind: 'addr-add', dev, address, prefix: 24, metric: 101 });

test('changeLinks: one batch; a failing NIC is rolled back newest first, the others keep theirs', async () => {
  const host = new FakeHost(node(2));
  host.failIp = (a) =>
    a.kind === 'addr-add' && a.dev === 'eth2' && a.address === '192.168.0.99'
      ? 'RTNETLINK answers: Operation not permitted'
      : undefined;
  const out = await changeLinks(host, [
    [up('eth1'), add('eth1', '192.168.0.11')],
    [up('eth2'), add('eth2', '192.168.0.12'), add('eth2', '192.168.0.99')],
  ]);
  assert.deepEqual(out[0], { result: 'changed' });
  assert.equal(out[1]?.result, 'rolled-back');
  assert.match(
    out[1]?.error ?? '',
    /'ip addr add 192.168.0.99\/24 dev eth2 metric 101' failed: RTNETLINK answers: Operation not permitted/,
  );
  // Newest first: the address added last goes first, the link goes down last.
  assert.deepEqual(host.log.slice(host.log.indexOf('ip addr add 192.168.0.99/24 dev eth2 metric 101') + 1), [
    'ip addr del 192.168.0.12/24 dev eth2',
    'ip link set dev eth2 down',
  ]);
  assert.equal(host.log.filter((l) => l.startsWith('ip -batch')).length, 1);
  const eth2 = host.state.links.find((l) => l.name === 'eth2');
  assert.deepEqual({ up: eth2?.adminUp, ipv4: eth2?.ipv4 }, { up: false, ipv4: [] });
  assert.equal(host.state.links.find((l) => l.name === 'eth1')?.ipv4[0]?.local, '192.168.0.11');
});

test('changeLinks: a name ip -batch cannot carry runs one command at a time; dry-run runs nothing', async () => {
  const state = node(1);
  (state.links[1] as { name: string }).name = 'e#1';
  const host = new FakeHost(state);
  assert.deepEqual(await changeLinks(host, [[up('e#1')], []]), [{ result: 'changed' }, { result: 'unchanged' }]);
  assert.deepEqual(host.log, ["ip link set dev 'e#1' up"]);
  const dry = new FakeHost(node(1), { dryRun: true });
  assert.deepEqual(await changeLinks(dry, [[up('eth1')], []]), [{ result: 'planned' }, { result: 'unchanged' }]);
  assert.deepEqual(dry.log, []);
});

test('requirePrivilege: CAP_NET_ADMIN for the NICs, uid 0 for the rest, neither under dry-run', () => {
  const host = new FakeHost(node(0));
  host.root = false;
  host.netAdmin = true;
  assert.doesNotThrow(() => host.changes.requirePrivilege('net-admin', 'setup'));
  assert.throws(() => host.changes.requirePrivilege('root', 'install-service'), {
    message: 'install-service needs root; nothing was changed',
  });
  host.netAdmin = false;
  assert.throws(
    () => host.changes.requirePrivilege('net-admin', 'setup'),
    (e: unknown) => {
      assert.ok(e instanceof ExitError);
      assert.equal(e.code, ExitCode.needsRoot);
      assert.equal(e.message, 'setup needs root (CAP_NET_ADMIN); nothing was changed');
      assert.equal(e.hint, 'run it with sudo, or as root');
      return true;
    },
  );
  const dry = new FakeHost(node(0), { dryRun: true });
  dry.root = false;
  dry.netAdmin = false;
  assert.doesNotThrow(() => dry.changes.requirePrivilege('net-admin', 'setup'));
  assert.doesNotThrow(() => dry.changes.requirePrivilege('root', 'kernel upgrade'));
  assert.equal(dry.changes.applies, false);
  assert.equal(host.changes.applies, true);
});

test('exclusively: the lock is held around the work and released after a failure; dry-run takes none', async () => {
  const host = new FakeHost(node(0));
  const seen: string[][] = [];
  const deadline = new Deadline(10_000);
  await host.changes.exclusively(
    deadline,
    () => undefined,
    async () => void seen.push([...host.lockEvents]),
  );
  await assert.rejects(
    host.changes.exclusively(
      deadline,
      () => undefined,
      async () => {
        throw new Error('boom');
      },
    ),
    /boom/,
  );
  assert.deepEqual(seen, [['lock']]);
  assert.deepEqual(host.lockEvents, ['lock', 'unlock', 'lock', 'unlock']);
  const dry = new FakeHost(node(0), { dryRun: true });
  assert.equal(
    await dry.changes.exclusively(
      deadline,
      () => undefined,
      async () => 'done',
    ),
    'done',
  );
  assert.deepEqual(dry.lockEvents, []);
});

test('ownedRecord: opened for writing (run directory, probe) only when the run changes the node', () => {
  const host = new FakeHost(node(0));
  host.changes.ownedRecord();
  const dry = new FakeHost(node(0), { dryRun: true });
  dry.changes.ownedRecord();
  assert.deepEqual([host.recordOpened, dry.recordOpened], [['writable'], ['read-only']]);
});

test('changeLinks: a batch killed at the deadline is settled from the links; what it changed is put back', async () => {
  const host = new FakeHost(node(2));
  host.hangBatchAfter = 3;
  const out = await changeLinks(host, [
    [up('eth1'), add('eth1', '192.168.0.11')],
    [up('eth2'), add('eth2', '192.168.0.12')],
  ]);
  // eth1 finished before the hang; eth2 was up but its address never came.
  assert.deepEqual(out[0], { result: 'changed' });
  assert.equal(out[1]?.result, 'rolled-back');
  assert.match(
    out[1]?.error ?? '',
    /^ip -batch stopped before 'ip addr add 192.168.0.12\/24 dev eth2 metric 101' ran: ip did not answer within 2 s/,
  );
  assert.equal(host.state.links.find((l) => l.name === 'eth2')?.adminUp, false);
});
