import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelState, ipv4Of, withSim } from '../helpers/sim.js';

test('reset keeps an address someone else added (and the link up); --all removes it', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    assert.equal((await node.exec('ip', ['addr', 'add', '192.168.0.99/24', 'dev', 'eth1'])).exitCode, 0);
    const r = await node.cli(['reset', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /eth1 keeps 192.168.0.99\/24 \(not ours\) and stays up/);
    const report = JSON.parse(r.stdout) as { nics: { removed: string[]; kept: string[]; source: string }[] };
    assert.deepEqual(report.nics[0], {
      ...report.nics[0],
      removed: ['192.168.0.11/24'],
      kept: ['192.168.0.99/24'],
      source: 'record',
    });
    let state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.99/24 metric 0 global']);
    assert.equal((state.links.eth1 as { up: boolean }).up, true);
    assert.equal((await node.cli(['reset', '--all'])).exitCode, 0);
    state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), []);
    assert.equal((state.links.eth1 as { up: boolean }).up, false);
  });
});

test("reset works with the metadata server unreachable, using setup's record", async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const pristine = await kernelState(node);
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    node.clearRequests();
    const r = await node.cli(['reset', '--metadata-url', 'http://100.100.100.200:81', '--timeout', '3']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await kernelState(node), pristine);
    assert.equal(node.requests().length, 0);
    const again = await node.cli(['reset']);
    assert.equal(again.exitCode, 0);
    assert.match(again.stdout, /nothing to do/);
  });
});

test('without a record, reset asks the metadata server; unreachable → a clear error, nothing changed', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    // configured by someone else (the legacy script would do exactly this)
    await node.exec('ip', ['link', 'set', 'eth1', 'up']);
    await node.exec('ip', ['addr', 'add', '192.168.0.11/24', 'dev', 'eth1', 'metric', '101']);
    const before = await kernelState(node);
    const down = await node.cli(['reset', '--metadata-url', 'http://100.100.100.200:81']);
    assert.equal(down.exitCode, 5);
    assert.match(down.stderr, /cannot tell which address on eth1 is ours: no record from setup and .*\(use --all/);
    assert.deepEqual(await kernelState(node), before);
    const r = await node.cli(['reset', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { nics: { source: string }[] }).nics[0]?.source, 'metadata');
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('reset --dry-run prints the commands and never touches the primary', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const before = await kernelState(node);
    const r = await node.cli(['reset', '--dry-run', '-i', 'eth2']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').slice(1), [
      'ip addr del 192.168.0.12/24 dev eth2',
      'ip link set dev eth2 down',
    ]);
    assert.deepEqual(await kernelState(node), before);
    assert.equal((await node.cli(['reset', '--all'])).exitCode, 0);
    const after = await kernelState(node);
    assert.deepEqual(after.links.eth0, before.links.eth0);
  });
});
