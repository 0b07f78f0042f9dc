import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PciFunction } from '../../src/core/boot-wait.js';
import { Deadline } from '../../src/core/deadline.js';
import { ExitError } from '../../src/exit-codes.js';
import { discover } from '../../src/workflows/discover.js';
import { captureLog, FakeHost, node } from '../helpers/fake-host.js';

// The boot wait (setup --wait, no -i) on fake PCI trees, in virtual time: the fake clock moves only when the
// loop sleeps, and what the test scheduled (a device registering, a probe ending) happens at that moment.

const fn = (i: number, driver: string | undefined, rdma = true): PciFunction => ({
  address: `0000:00:0${i + 4}.0`,
  driver,
  rdmaDevice: rdma && driver === 'erdma' ? `erdma_${i - 1}` : undefined,
});

/** A node with `n` eRDMA NICs whose devices are not registered yet (rdma lists none). */
function booting(n: number): { host: FakeHost; register: (i: number) => void } {
  const host = new FakeHost(node(n));
  const all = host.state.rdma ?? [];
  host.state.rdma = [];
  host.state.pci = { functions: Array.from({ length: n }, (_, k) => fn(k + 1, undefined)), driver: 'coming' };
  /** The driver binds function i and registers its RDMA device with its netdev. */
  const register = (i: number): void => {
    const f = host.state.pci.functions[i - 1] as PciFunction;
    Object.assign(f, fn(i, 'erdma'));
    host.state.rdma?.push(all[i - 1] as (typeof all)[number]);
  };
  return { host, register };
}

async function bootWait(host: FakeHost, o: { settleMs?: number; timeoutMs?: number; interfaces?: string[] } = {}) {
  const { log, lines } = captureLog();
  const deadline = new Deadline(o.timeoutMs ?? 120_000, host.clock.now);
  const d = await discover(
    host,
    { interfaces: o.interfaces ?? [], waitForDevices: true, deadline, ...(o.settleMs ? { settleMs: o.settleMs } : {}) },
    log,
  );
  return { names: d.nics.map((n) => n.name), lines, at: host.clock.elapsed() };
}

test('every bound function gets its device: the wait ends the moment the last one is ready, no settle', async () => {
  const { host, register } = booting(3);
  host.clock.at(300, () => register(1));
  host.clock.at(700, () => register(2));
  host.clock.at(1200, () => {
    register(3);
    host.state.pci.driver = 'live';
  });
  const r = await bootWait(host);
  assert.deepEqual(r.names, ['eth1', 'eth2', 'eth3']);
  assert.ok(r.at >= 1200 && r.at <= 1300, `went on at ${r.at} ms`);
  assert.ok(r.lines.some((l) => /waiting for the erdma driver to finish probing 3 eRDMA PCI function/.test(l)));
});

test('a bound function still probing (no RDMA device yet) is waited for, even once the module is live', async () => {
  const { host, register } = booting(2);
  register(1);
  host.state.pci.driver = 'live';
  const second = host.state.pci.functions[1] as PciFunction;
  second.driver = 'erdma'; // its probe has started: the driver link is there, the device not yet
  host.clock.at(2000, () => register(2));
  const r = await bootWait(host);
  assert.deepEqual(r.names, ['eth1', 'eth2']);
  assert.ok(r.at >= 2000 && r.at <= 2100, `went on at ${r.at} ms`);
  assert.ok(r.lines.some((l) => /waiting for an RDMA device of 0000:00:06.0 \(2 of 2 eRDMA PCI function/.test(l)));
});

test('a device listed without its netdev is not ready yet', async () => {
  const { host, register } = booting(1);
  register(1);
  host.state.pci.driver = 'live';
  const port = host.state.rdma?.[0];
  const netdev = port?.netdev;
  if (port) port.netdev = undefined;
  host.clock.at(500, () => {
    if (port) port.netdev = netdev;
  });
  const r = await bootWait(host);
  assert.deepEqual(r.names, ['eth1']);
  assert.ok(r.at >= 500 && r.at <= 600, `went on at ${r.at} ms`);
});

test('a function the driver refused (left unbound once the module is live) is not waited for', async () => {
  const { host, register } = booting(2);
  host.clock.at(400, () => {
    register(1);
    host.state.pci.driver = 'live'; // function 2's probe failed: unbound
  });
  const r = await bootWait(host);
  assert.deepEqual(r.names, ['eth1']);
  assert.ok(r.at >= 400 && r.at <= 500, `went on at ${r.at} ms`);
});

test('the driver not loaded yet: waits for it to load and bind, then for every function it bound', async () => {
  const { host, register } = booting(2);
  host.state.pci.driver = 'absent';
  host.clock.at(3000, () => {
    host.state.pci.driver = 'coming';
    register(1);
  });
  host.clock.at(3500, () => {
    register(2);
    host.state.pci.driver = 'live';
  });
  const r = await bootWait(host);
  assert.deepEqual(r.names, ['eth1', 'eth2']);
  assert.ok(r.at >= 3500 && r.at <= 3600, `went on at ${r.at} ms`);
  assert.ok(r.lines.some((l) => /waiting for the erdma driver to load \(2 eRDMA PCI function\(s\)\)/.test(l)));
});

test('no eRDMA function in the PCI tree: the first device ends the wait, with no settle', async () => {
  const host = new FakeHost(node(2));
  const all = host.state.rdma ?? [];
  host.state.rdma = undefined; // no RDMA netlink yet
  host.clock.at(800, () => {
    host.state.rdma = [all[0] as (typeof all)[number]];
  });
  host.clock.at(5000, () => {
    host.state.rdma = all;
  });
  const r = await bootWait(host);
  assert.deepEqual(r.names, ['eth1']);
  assert.ok(r.at >= 800 && r.at <= 900, `went on at ${r.at} ms`);
  assert.ok(r.lines.includes('waiting for eRDMA devices to appear…'));
});

test('--settle: the set must stay unchanged that long by the clock, and a new device restarts it', async () => {
  const host = new FakeHost(node(2));
  const all = host.state.rdma ?? [];
  host.state.rdma = [all[0] as (typeof all)[number]];
  host.clock.at(2000, () => {
    host.state.rdma = all;
  });
  const r = await bootWait(host, { settleMs: 3000 });
  assert.deepEqual(r.names, ['eth1', 'eth2']);
  // eth2 came at 2 s: 3 s of quiet after it, not after eth1 (5 s), and not a moment longer than a poll.
  assert.ok(r.at >= 5000 && r.at <= 5100, `went on at ${r.at} ms`);
  assert.ok(r.lines.some((l) => /so far: eth1; going on when none is added for 3 s/.test(l)));
  assert.ok(r.lines.some((l) => /so far: eth1, eth2; going on/.test(l)));
  assert.ok(
    host.clock.slept.every((ms) => ms > 0 && ms <= 100),
    'polls, never one long sleep',
  );
});

test('a function that never gets its device: near the deadline, what is ready is configured', async () => {
  const { host, register } = booting(2);
  register(1);
  host.state.pci.driver = 'live';
  (host.state.pci.functions[1] as PciFunction).driver = 'erdma';
  const r = await bootWait(host, { timeoutMs: 20_000 });
  assert.deepEqual(r.names, ['eth1']);
  // 5 s are kept for metadata and ip.
  assert.ok(r.at >= 15_000 && r.at <= 15_100, `went on at ${r.at} ms`);
  assert.ok(r.lines.some((l) => /deadline is near: going on with eth1 \(still waiting for an RDMA device of/.test(l)));
});

test('no device at all by the deadline: exit 4, at the deadline and not before', async () => {
  const { host } = booting(1);
  host.state.pci.driver = 'live';
  const e = await bootWait(host, { timeoutMs: 10_000 }).catch((x: unknown) => x);
  assert.ok(e instanceof ExitError && e.code === 4, String(e));
  assert.equal(host.clock.elapsed(), 10_000);
});

test('-i: waits by the clock until every named NIC has its device, ignoring the PCI tree', async () => {
  const { host, register } = booting(3);
  host.state.pci.driver = 'live';
  host.clock.at(1500, () => register(2));
  const r = await bootWait(host, { interfaces: ['eth2'] });
  assert.deepEqual(r.names, ['eth2']);
  assert.ok(r.at >= 1500 && r.at <= 1600, `went on at ${r.at} ms`);
  assert.ok(r.lines.includes('waiting for the eRDMA device of eth2 (seen so far: none)…'));
});
