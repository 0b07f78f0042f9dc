import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../src/core/deadline.js';
import { ExitError } from '../../src/exit-codes.js';
import { runReset, type ResetOptions } from '../../src/workflows/reset.js';
import { runSetup } from '../../src/workflows/setup.js';
import { addr, captureLog, FakeHost, macOf, node } from '../helpers/fake-host.js';

const deadline = () => new Deadline(10_000);
const options = (o: Partial<ResetOptions> = {}): ResetOptions => ({
  interfaces: [],
  all: false,
  metadataUrl: 'http://metadata.test',
  deadline: deadline(),
  ...o,
});
const reset = (host: FakeHost, o: Partial<ResetOptions> = {}) => runReset(host, options(o), captureLog().log);
const ipv4 = (host: FakeHost, name: string) => host.state.links.find((l) => l.name === name)?.ipv4.map((a) => a.local);

async function afterSetup(n: number): Promise<FakeHost> {
  const host = new FakeHost(node(n));
  await runSetup(
    host,
    { interfaces: [], metadataUrl: 'http://metadata.test', deadline: deadline(), wait: false },
    captureLog().log,
  );
  host.log.length = 0;
  host.asked.length = 0;
  return host;
}

test('reset after setup: the recorded address goes (no metadata asked), links down, record emptied', async () => {
  const host = await afterSetup(2);
  const r = await reset(host);
  assert.deepEqual(
    r.nics.map((n) => [n.name, n.source, n.removed, n.result]),
    [
      ['eth1', 'record', ['192.168.0.11/24'], 'changed'],
      ['eth2', 'record', ['192.168.0.12/24'], 'changed'],
    ],
  );
  assert.deepEqual(host.asked, []);
  assert.deepEqual(ipv4(host, 'eth1'), []);
  assert.equal(host.state.links.find((l) => l.name === 'eth2')?.adminUp, false);
  assert.deepEqual(host.state.record, {});
});

test('reset keeps an address someone else added (and the NIC up), warning about it', async () => {
  const host = await afterSetup(1);
  host.state.links[1]?.ipv4.push(addr('10.9.9.9', 24));
  const { log, lines } = captureLog();
  const r = await runReset(host, options(), log);
  assert.deepEqual(r.nics[0]?.kept, ['10.9.9.9/24']);
  assert.deepEqual(ipv4(host, 'eth1'), ['10.9.9.9']);
  assert.match(lines.join('\n'), /eth1 keeps 10\.9\.9\.9\/24 \(not ours\) and stays up/);
});

test("reset without a record entry of this NIC's MAC asks the metadata server which address is ours", async () => {
  const state = node(1);
  (state.links[1] as { ipv4: unknown[] }).ipv4 = [addr('192.168.0.11', 24, { metric: 101 }), addr('10.9.9.9', 24)];
  state.record = { eth1: { mac: '00:16:3e:ff:ff:ff', address: '10.9.9.9', prefix: 24 } };
  const host = new FakeHost(state);
  const r = await reset(host);
  assert.equal(r.nics[0]?.source, 'metadata');
  assert.deepEqual(r.nics[0]?.removed, ['192.168.0.11/24']);
  assert.deepEqual(ipv4(host, 'eth1'), ['10.9.9.9']);
  assert.ok(host.asked.length > 0);
});

test('reset: no record and no metadata answer is exit 5 with nothing changed; --all needs neither', async () => {
  const state = node(1);
  (state.links[1] as { ipv4: unknown[] }).ipv4 = [addr('192.168.0.11', 24), addr('10.9.9.9', 24)];
  state.metadata.clear();
  const host = new FakeHost(state);
  const e = await reset(host).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 5);
  assert.match(e.message, /^cannot tell which address on eth1 is ours: no record from setup and /);
  assert.equal(e.hint, 'use --all to remove every global IPv4 address, as the old script did');
  assert.deepEqual(host.log, []);

  const all = await reset(host, { all: true });
  assert.deepEqual(all.nics[0]?.removed.sort(), ['10.9.9.9/24', '192.168.0.11/24']);
  assert.deepEqual(ipv4(host, 'eth1'), []);
});

test('reset --dry-run lists the commands and leaves links and record alone', async () => {
  const host = await afterSetup(1);
  const dry = new FakeHost(host.state, { dryRun: true });
  const r = await reset(dry);
  assert.deepEqual(r.nics[0]?.actions, ['ip addr del 192.168.0.11/24 dev eth1', 'ip link set dev eth1 down']);
  assert.equal(r.nics[0]?.result, 'planned');
  assert.deepEqual(dry.log, []);
  assert.deepEqual(ipv4(dry, 'eth1'), ['192.168.0.11']);
  assert.deepEqual(Object.keys(dry.state.record), ['eth1']);
});

test('reset: a NIC whose reset fails is put back and stays in the record', async () => {
  const host = await afterSetup(2);
  host.failIp = (a) =>
    a.kind === 'link-down' && a.dev === 'eth2' ? 'RTNETLINK answers: Device or resource busy' : undefined;
  const r = await reset(host);
  assert.deepEqual(
    r.nics.map((n) => n.result),
    ['changed', 'rolled-back'],
  );
  assert.deepEqual(ipv4(host, 'eth2'), ['192.168.0.12']);
  assert.deepEqual(Object.keys(host.state.record), ['eth2']);
  assert.equal(host.state.record.eth2?.mac, macOf(2));
});
