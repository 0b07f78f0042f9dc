import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fault } from '../../scripts/sim/metadata-model.js';
import { kernelState, ipv4Of, withSim } from '../helpers/sim.js';

/** Every bad answer: exit 5, a one-line error naming NIC and key, and no NIC changed (not even the good one). */
const refused: { name: string; faults: Fault[]; message: RegExp; args?: string[] }[] = [
  {
    name: 'an HTML error page',
    faults: [
      {
        match: '00:02/netmask',
        kind: 'body',
        body: '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>',
      },
    ],
    message: new RegExp(
      String.raw`^error: eth2: metadata netmask is invalid: '<html> <head><title>502 Bad Gateway<\/ti…' \(not ` +
        String.raw`a contiguous IPv4 netmask\); nothing was changed \(.+\)$`,
      'm',
    ),
  },
  {
    name: 'an empty body',
    faults: [{ match: '00:01/primary-ip-address', kind: 'body', body: '' }],
    message: /^error: eth1: metadata primary-ip-address is invalid: '\(empty\)' \(not a dotted IPv4 address\)/m,
  },
  {
    name: 'a gateway outside the subnet',
    faults: [{ match: '00:02/gateway', kind: 'body', body: '10.9.9.9' }],
    message: /^error: eth2: metadata gateway is invalid: '10.9.9.9' \(not in the subnet of 192.168.0.12\/24\)/m,
  },
  {
    name: 'a 404',
    faults: [{ match: '00:02/gateway', kind: 'status', status: 404 }],
    message: new RegExp(
      String.raw`^error: eth2: metadata has no gateway \(HTTP 404 for ` +
        String.raw`\/latest\/meta-data\/network\/interfaces\/macs\/00:16:3e:5a:00:02\/gateway\); nothing was ` +
        'changed',
      'm',
    ),
  },
  {
    name: 'a persistent 500',
    faults: [{ match: '/netmask', kind: 'status', status: 500 }],
    // retried until the deadline, not a fixed 4 attempts
    message: new RegExp(
      String.raw`^error: eth[12]: no answer for .*\/netmask within the 6 s deadline \((\d{2,}|[5-9]) ` +
        String.raw`attempt\(s\), last: HTTP 500\); nothing was changed`,
      'm',
    ),
    args: ['--timeout', '6'],
  },
  {
    name: 'a server that never answers',
    faults: [{ match: '00:01/gateway', kind: 'hang' }],
    message: /^error: eth1: no answer for .*gateway within the 2 s deadline/m,
    args: ['--timeout', '2'],
  },
];

for (const c of refused) {
  test(`metadata fault: ${c.name} → exit 5, nothing changed`, async (t) => {
    await withSim(t, { nics: 2, faults: c.faults }, async (node) => {
      const before = await kernelState(node);
      const started = Date.now();
      const r = await node.cli(['setup', ...(c.args ?? [])]);
      assert.equal(r.exitCode, 5, r.stderr);
      assert.match(r.stderr, c.message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      assert.deepEqual(await kernelState(node), before);
      if (c.args) assert.ok(Date.now() - started < 15_000, 'the deadline ended the run');
    });
  });
}

test('a 5xx burst is retried and setup succeeds', async (t) => {
  await withSim(
    t,
    {
      nics: 2,
      faults: [
        { match: '/primary-ip-address', kind: 'burst', status: 503, count: 2 },
        { match: '/api/token', kind: 'burst', status: 502, count: 1 },
      ],
    },
    async (node) => {
      const r = await node.cli(['setup']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), ['192.168.0.12/24 metric 101 global']);
    },
  );
});

test('no metadata server at all → exit 5 naming the failure; --json gives an error document', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await node.cli(['setup', '--json', '--timeout', '2', '--metadata-url', 'http://100.100.100.200:81']);
    assert.equal(r.exitCode, 5);
    assert.match(r.stderr, /ECONNREFUSED/);
    const doc = JSON.parse(r.stdout) as { error: { code: number; name: string; message: string } };
    assert.equal(doc.error.code, 5);
    assert.equal(doc.error.name, 'metadata');
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('a metadata server with no token endpoint (normal mode) works', async (t) => {
  await withSim(t, { nics: 1, tokenMode: 'none' }, async (node) => {
    const r = await node.cli(['setup']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(
      node
        .requests()
        .filter((q) => q.method === 'GET')
        .every((q) => !q.withToken),
    );
  });
});

test('--wait (hot-plug): a NIC answered 404 for a while is asked again and configured', async (t) => {
  await withSim(t, { nics: 2, faults: [{ match: '00:02/', kind: 'burst', status: 404, count: 3 }] }, async (node) => {
    const r = await node.cli(['setup', '--wait', '--settle', '0', '--timeout', '20']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /eth2: the metadata server does not know this NIC yet \(HTTP 404\); asking again…/);
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
    const eth2Asks = node.requests().filter((q) => q.path.includes('00:02/gateway'));
    assert.deepEqual(
      eth2Asks.map((q) => q.status),
      [404, 404, 404, 200],
    );
  });
});

test('--wait (hot-plug): a NIC still 404 at the deadline fails alone (exit 5), the other is configured', async (t) => {
  await withSim(t, { nics: 2, faults: [{ match: '00:02/', kind: 'status', status: 404 }] }, async (node) => {
    const started = Date.now();
    const r = await node.cli(['setup', '--wait', '--settle', '0', '--timeout', '6', '--json']);
    const elapsed = Date.now() - started;
    assert.equal(r.exitCode, 5, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(
      lines.at(-1),
      'error: eth2: the metadata server still answers HTTP 404 for MAC 00:16:3e:5a:00:02 after asking until the 6 s ' +
        'deadline; it was left as it was (the other 1 eRDMA NIC(s) are configured; ' +
        'is the ENI attached (ECS console)? then: ' +
        'asm-erdma setup -i eth2)',
    );
    const report = JSON.parse(r.stdout) as { nics: { name: string; result: string; failedAt?: string }[] };
    assert.deepEqual(
      report.nics.map((n) => [n.name, n.result, n.failedAt]),
      [
        ['eth1', 'changed', undefined],
        ['eth2', 'failed', 'metadata'],
      ],
    );
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(state.links.eth2, { up: false, ipv4: [] }, 'eth2 untouched');
    assert.ok(node.requests().filter((q) => q.path.endsWith('00:02/primary-ip-address')).length >= 3, 'retried');
    assert.ok(elapsed < 6000 + 3000, `ended on time (${elapsed} ms)`);
  });
});
