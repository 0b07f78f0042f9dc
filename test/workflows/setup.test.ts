import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../src/core/deadline.js';
import { ExitError } from '../../src/exit-codes.js';
import { nicPath } from '../../src/core/metadata-layout.js';
import { runSetup, type SetupOptions } from '../../src/workflows/setup.js';
import { addr, captureLog, FakeHost, macOf, node, RECORD_PATH } from '../helpers/fake-host.js';

/** setup's note of how it ended, next to the record (workflows/record.ts). */
const NOTE = 'write /run/asm-erdma/last-setup.json';

const options = (o: Partial<SetupOptions> = {}): SetupOptions => ({
  interfaces: [],
  metadataUrl: 'http://metadata.test',
  deadline: new Deadline(10_000),
  wait: false,
  ...o,
});

const setup = (host: FakeHost, o: Partial<SetupOptions> = {}) => runSetup(host, options(o), captureLog().log);
const nic = (host: FakeHost, name: string) => host.state.links.find((l) => l.name === name);
const addresses = (host: FakeHost, name: string) =>
  nic(host, name)?.ipv4.map((a) => `${a.local}/${a.prefixlen} metric ${a.metric}`);

test('setup: every eRDMA NIC up with its metadata address, in one ip batch, and recorded with its MAC', async () => {
  const host = new FakeHost(node(2));
  const r = await setup(host);
  assert.deepEqual(
    r.nics.map((n) => [n.name, n.result, n.address, n.metric]),
    [
      ['eth1', 'changed', '192.168.0.11', 101],
      ['eth2', 'changed', '192.168.0.12', 101],
    ],
  );
  assert.equal(nic(host, 'eth1')?.adminUp, true);
  assert.deepEqual(addresses(host, 'eth2'), ['192.168.0.12/24 metric 101']);
  assert.deepEqual(host.state.record, {
    eth1: { mac: macOf(1), address: '192.168.0.11', prefix: 24 },
    eth2: { mac: macOf(2), address: '192.168.0.12', prefix: 24 },
  });
  assert.equal(host.log[0], 'ip -batch (4 lines)');
  assert.deepEqual(host.log.slice(-2), [`write ${RECORD_PATH}`, NOTE]);
  assert.equal(r.primary, 'eth0');
});

test('setup twice: the second run changes nothing on the links', async () => {
  const host = new FakeHost(node(2));
  await setup(host);
  host.log.length = 0;
  const r = await setup(host);
  assert.deepEqual(
    r.nics.map((n) => [n.result, n.actions]),
    [
      ['unchanged', []],
      ['unchanged', []],
    ],
  );
  assert.deepEqual(host.log, [`write ${RECORD_PATH}`, NOTE]);
});

test('setup --dry-run: plans, changes nothing, writes no record', async () => {
  const state = node(1);
  state.record = { eth9: { mac: macOf(9), address: '10.0.0.9', prefix: 24 } };
  const host = new FakeHost(state, { dryRun: true });
  const r = await setup(host);
  assert.deepEqual(
    r.nics.map((n) => [n.result, n.actions]),
    [['planned', ['ip link set dev eth1 up', 'ip addr add 192.168.0.11/24 dev eth1 metric 101']]],
  );
  assert.deepEqual(host.log, []);
  assert.deepEqual(nic(host, 'eth1')?.ipv4, []);
  assert.deepEqual(Object.keys(host.state.record), ['eth9']);
});

test("setup: its own record's address (same MAC) is stale and replaced; another MAC's is foreign", async () => {
  const state = node(2);
  (state.links[1] as { ipv4: unknown[] }).ipv4 = [addr('192.168.0.50', 24, { metric: 101 })];
  (state.links[2] as { ipv4: unknown[] }).ipv4 = [addr('192.168.0.60', 24, { metric: 102 })];
  state.record = {
    eth1: { mac: macOf(1), address: '192.168.0.50', prefix: 24 },
    // eth2's entry was written for another ENI that had that name: not ours.
    eth2: { mac: '00:16:3e:ff:ff:ff', address: '192.168.0.60', prefix: 24 },
  };
  const host = new FakeHost(state);
  const { log, lines } = captureLog();
  const r = await runSetup(host, options(), log);
  assert.deepEqual(r.nics[0]?.stale, ['192.168.0.50/24']);
  assert.deepEqual(addresses(host, 'eth1'), ['192.168.0.11/24 metric 101']);
  assert.deepEqual(r.nics[1]?.stale, []);
  assert.deepEqual(addresses(host, 'eth2'), ['192.168.0.60/24 metric 102', '192.168.0.12/24 metric 101']);
  assert.match(
    r.nics[1]?.warnings[0] ?? '',
    /eth2 also carries 192.168.0.60\/24, which the metadata server did not give/,
  );
  assert.deepEqual(lines, [], "warnings are the command layer's to print");
  assert.deepEqual(host.state.record.eth2, { mac: macOf(2), address: '192.168.0.12', prefix: 24 });
});

test('setup: an invalid or missing metadata answer refuses the run before any change (exit 5, the NIC)', async () => {
  const bad = node(2);
  bad.metadata.set(nicPath(macOf(2), 'netmask'), '<html>oops</html>');
  const host = new FakeHost(bad);
  const e = await setup(host).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 5);
  assert.match(e.message, /^eth2: metadata netmask is invalid: '<html>oops<\/html>' .*nothing was changed$/);
  // Nothing but the note that this setup failed (metrics exports it).
  assert.deepEqual(host.log, [NOTE]);

  const missing = node(1);
  missing.metadata.delete(nicPath(macOf(1), 'gateway'));
  const e404 = await setup(new FakeHost(missing)).catch((x: unknown) => x);
  assert.match((e404 as Error).message, /^eth1: metadata has no gateway \(HTTP 404/);
});

test("setup: metadata giving a NIC the primary's address is refused before any change", async () => {
  const host = new FakeHost(node(1, () => ['192.168.0.10', '255.255.255.0', '192.168.0.253']));
  const e = await setup(host).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 5);
  assert.match(e.message, /192\.168\.0\.10/);
  assert.deepEqual(host.log, [NOTE]);
});

test('setup: a NIC whose change fails is rolled back and left out of the record; the others are done', async () => {
  const host = new FakeHost(node(2));
  host.failIp = (a) =>
    a.kind === 'addr-add' && a.dev === 'eth2' ? 'RTNETLINK answers: Operation not permitted' : undefined;
  const r = await setup(host);
  assert.deepEqual(
    r.nics.map((n) => n.result),
    ['changed', 'rolled-back'],
  );
  assert.equal(nic(host, 'eth2')?.adminUp, false);
  assert.deepEqual(Object.keys(host.state.record), ['eth1']);
});

test('setup: when the record cannot be written the NICs stay changed and the report says why', async () => {
  const host = new FakeHost(node(1));
  host.failEffect = (e) => (e.kind === 'write-record' ? 'EROFS' : undefined);
  const r = await setup(host);
  assert.equal(r.nics[0]?.result, 'changed');
  assert.match(r.recordError ?? '', new RegExp(`^could not write ${RECORD_PATH}: `));
});

test('setup -i: the primary is refused (exit 2), an unknown name is exit 4, and no eRDMA NIC is exit 4', async () => {
  const primary = await setup(new FakeHost(node(1)), { interfaces: ['eth0'] }).catch((x: unknown) => x);
  assert.equal((primary as ExitError).code, 2);
  const unknown = await setup(new FakeHost(node(1)), { interfaces: ['eth7'] }).catch((x: unknown) => x);
  assert.equal((unknown as ExitError).code, 4);
  assert.match((unknown as Error).message, /--interface eth7: not an eRDMA NIC/);
  const none = await setup(new FakeHost(node(0))).catch((x: unknown) => x);
  assert.equal((none as ExitError).code, 4);
});

test('setup -i eth2 touches only eth2 and asks the metadata server only about it', async () => {
  const host = new FakeHost(node(2));
  const r = await setup(host, { interfaces: ['eth2'] });
  assert.deepEqual(
    r.nics.map((n) => n.name),
    ['eth2'],
  );
  assert.deepEqual(nic(host, 'eth1')?.ipv4, []);
  assert.ok(host.asked.every((p) => p.includes(macOf(2))));
});

test('setup --wait: a NIC unknown to the metadata server (404) fails alone at the deadline', async () => {
  const state = node(2);
  for (const key of ['primary-ip-address', 'netmask', 'gateway']) state.metadata.delete(nicPath(macOf(2), key));
  const host = new FakeHost(state);
  const r = await setup(host, { wait: true, settleMs: 0, deadline: new Deadline(1200) });
  assert.deepEqual(
    r.nics.map((n) => [n.name, n.result, n.failedAt, n.error]),
    [
      ['eth1', 'changed', undefined, undefined],
      [
        'eth2',
        'failed',
        'metadata',
        `the metadata server still answers HTTP 404 for MAC ${macOf(2)} after asking until the 1 s deadline`,
      ],
    ],
  );
  assert.deepEqual(addresses(host, 'eth2'), []);
  assert.deepEqual(Object.keys(host.state.record ?? {}), ['eth1'], 'only what was configured is recorded');
});

test('setup without --wait: a 404 still refuses the run before any change', async () => {
  const state = node(2);
  state.metadata.delete(nicPath(macOf(2), 'gateway'));
  const host = new FakeHost(state);
  const e = await setup(host).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 5);
  assert.deepEqual(host.log, [NOTE], 'no NIC changed; only the failed run noted');
});
