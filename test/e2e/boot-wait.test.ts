import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';
import { startCli } from '../helpers/live-cli.js';

type Run = Awaited<ReturnType<typeof startCli>['done']>;

/** setup ended 0 with both eRDMA NICs carrying their metadata addresses in the kernel. */
async function assertBothConfigured(r: Run, node: Parameters<typeof kernelState>[0]): Promise<void> {
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /configured 2 of 2 eRDMA NIC\(s\)/);
  const state = await kernelState(node);
  assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
  assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
}

// Devices appear when the test says so, after it has seen the CLI waiting for them: no sleeps, any load.

test('setup --wait waits for eRDMA devices that register after it starts', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true }, async (node) => {
    const early = await node.cli(['setup']);
    assert.equal(early.exitCode, 4, 'without --wait: no device yet');
    const run = startCli(node, ['setup', '--wait', '--timeout', '30', '--settle', '1']);
    await run.waitFor(/waiting for eRDMA devices to appear/);
    await node.revealDevices();
    const r = await run.done;
    assert.equal(r.exitCode, 0, r.stderr);
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
  });
});

test('devices registering one by one: setup --wait goes on only when the set has settled', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true }, async (node) => {
    const run = startCli(node, ['setup', '--wait', '--timeout', '40', '--settle', '4']);
    await run.waitFor(/waiting for eRDMA devices to appear/);
    await node.revealDevice('eth1');
    // The old code configured eth1 here and exited 0, leaving eth2 down.
    await run.waitFor(/eRDMA NIC\(s\) so far: eth1; going on when none is added for 4 s/);
    await node.revealDevice('eth2');
    await run.waitFor(/so far: eth1, eth2; going on/);
    const r = await run.done;
    await assertBothConfigured(r, node);
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
  });
});

test('setup --wait -i eth1 -i eth2 waits for both named NICs (not exit 4 at the first)', async (t) => {
  await withSim(t, { nics: 3, hideDevices: true }, async (node) => {
    const run = startCli(node, ['setup', '--wait', '--timeout', '40', '-i', 'eth1', '-i', 'eth2']);
    await run.waitFor(/waiting for the eRDMA device of eth1, eth2 \(seen so far: none\)/);
    await node.revealDevice('eth1');
    await node.revealDevice('eth3');
    await run.waitFor(/waiting for the eRDMA device of eth2 \(seen so far: eth1, eth3\)/);
    await node.revealDevice('eth2');
    const r = await run.done;
    assert.equal(r.exitCode, 0, r.stderr);
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth3'), [], 'not named: left alone');
  });
});

test('setup --wait -i: a NIC that never appears is exit 4 at the deadline, naming it; nothing changed', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true }, async (node) => {
    await node.revealDevice('eth1');
    const before = await kernelState(node);
    const started = Date.now();
    const r = await node.cli(['setup', '--wait', '--timeout', '2', '-i', 'eth1', '-i', 'eth2']);
    const ms = Date.now() - started;
    assert.equal(r.exitCode, 4, r.stderr);
    assert.match(
      r.stderr,
      /^error: --interface eth2: no eRDMA device appeared for it within the 2 s deadline \(eRDMA NICs here: eth1\)/m,
    );
    assert.ok(ms >= 2000 && ms < 11_000, `took ${ms} ms`);
    assert.deepEqual(await kernelState(node), before);
  });
});

test('setup --wait -i <primary> is refused at once (exit 2), not after waiting the whole deadline', async (t) => {
  await withSim(t, { nics: 1, hideDevices: true }, async (node) => {
    const started = Date.now();
    const r = await node.cli(['setup', '--wait', '--timeout', '30', '-i', 'eth0']);
    assert.equal(r.exitCode, 2, r.stderr);
    assert.match(r.stderr, /^error: --interface eth0 is the primary NIC/m);
    assert.ok(Date.now() - started < 15_000, 'well before the 30 s deadline');
  });
});

test('--settle is validated, and only with --wait', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    for (const args of [
      ['--wait', '--settle', '-1'],
      ['--wait', '--settle', 'soon'],
      ['--wait', '--settle', '601'],
      ['--settle', '3'],
    ]) {
      const r = await node.cli(['setup', ...args]);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match(
      (await node.cli(['setup', '--settle', '3'])).stderr,
      /^error: --settle only applies with --wait \(boot mode\)/,
    );
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
    assert.equal(node.requests().length, 0);
  });
});

test('setup --wait waits for a metadata server that is not up yet', async (t) => {
  await withSim(t, { nics: 1, serverDown: true }, async (node) => {
    const started = Date.now();
    const early = await node.cli(['setup', '--timeout', '2']);
    assert.equal(early.exitCode, 5, 'no server within the deadline: a clear failure');
    assert.match(early.stderr, /within the 2 s deadline \(\d+ attempt\(s\), last: ECONNREFUSED\); nothing was changed/);
    assert.ok(Date.now() - started < 11_000);
    const run = startCli(node, ['setup', '--wait', '--timeout', '30', '--settle', '0', '-v']);
    await run.waitFor(/ECONNREFUSED/);
    await node.startServer();
    const r = await run.done;
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

test('with a PCI tree: waits for the driver, then for every function it bound; no settle', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true, pci: true }, async (node) => {
    const run = startCli(node, ['setup', '--wait', '--timeout', '30']);
    await run.waitFor(/waiting for the erdma driver to load \(2 eRDMA PCI function\(s\)\)/);
    node.setDriverState('coming');
    await node.revealDevice('eth1');
    await run.waitFor(/waiting for the erdma driver to finish probing 2 eRDMA PCI function\(s\)/);
    node.setDriverState('live');
    node.bindFunction('eth2'); // its probe started: bound, no RDMA device yet
    await run.waitFor(/waiting for an RDMA device of 0000:00:06.0 \(2 of 2 eRDMA PCI function\(s\) bound by erdma\)/);
    await node.revealDevice('eth2');
    const r = await run.done;
    await assertBothConfigured(r, node);
  });
});

test('with a PCI tree: a function the driver left unbound is not waited for', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true, pci: true }, async (node) => {
    await node.revealDevice('eth1');
    node.setDriverState('live');
    const started = Date.now();
    const r = await node.cli(['setup', '--wait', '--timeout', '60', '-v']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /waiting for/);
    assert.ok(Date.now() - started < 30_000, 'not the deadline');
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth2'), [], 'no RDMA device: not an eRDMA NIC to rdma');
  });
});
