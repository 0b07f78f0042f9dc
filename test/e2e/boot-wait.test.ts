import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';

const later = (ms: number, f: () => Promise<unknown>): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms)).then(f);

test('setup --wait waits for eRDMA devices that register after it starts', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true }, async (node) => {
    const early = await node.cli(['setup']);
    assert.equal(early.exitCode, 4, 'without --wait: no device yet');
    const [r] = await Promise.all([node.cli(['setup', '--wait', '--timeout', '20']), later(1500, () => node.revealDevices())]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /waiting for eRDMA devices to appear/);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), ['192.168.0.12/24 metric 101 global']);
  });
});

test('setup --wait waits for a metadata server that is not up yet', async (t) => {
  await withSim(t, { nics: 1, serverDown: true }, async (node) => {
    const early = await node.cli(['setup', '--timeout', '20']);
    assert.equal(early.exitCode, 5, 'without --wait: bounded retries, then a clear failure');
    assert.match(early.stderr, /failed after 4 attempts \(last: ECONNREFUSED\)/);
    const [r] = await Promise.all([node.cli(['setup', '--wait', '--timeout', '20']), later(3000, () => node.startServer())]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.11/24 metric 101 global']);
  });
});

test('setup --wait still gives up at its deadline', async (t) => {
  await withSim(t, { nics: 1, hideDevices: true }, async (node) => {
    const started = Date.now();
    const r = await node.cli(['setup', '--wait', '--timeout', '2']);
    assert.equal(r.exitCode, 4);
    assert.ok(Date.now() - started < 8000);
    assert.match(r.stderr, /no eRDMA NIC found/);
  });
});
