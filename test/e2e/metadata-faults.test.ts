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
