/**
 * The boot unit under a real systemd: a Debian node image with the release RPM installed boots with systemd 252
 * as PID 1 (systemd-nspawn) inside a simulated node's network namespace. What the units do at boot is proven
 * there: the sandbox does not break setup, the NICs end as the seed script leaves them, kubelet starts after
 * them. test/helpers/node-image.ts builds and boots the image.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type SimNode } from '../../scripts/sim/sim-node.js';
import { BootedNode, nodeImage, realBootUnavailable, scratchDir, type NodeImage } from '../helpers/node-image.js';
import { ipv4Of, kernelState, prerequisite, withSim } from '../helpers/sim.js';
import { seriesValue } from '../helpers/metrics-run.js';

const STANDIN_SMC = join(REPO_ROOT, 'scripts/standins/smc');

const LEGACY = join(REPO_ROOT, 'scripts/legacy/asm_erdma_eth_config.sh');

let scratch: string | undefined;
let image: Promise<NodeImage> | undefined;
let unavailable: string | undefined;

before(async () => {
  unavailable = await realBootUnavailable();
  if (unavailable) return;
  scratch = scratchDir();
  image = nodeImage(scratch);
  // Surfaced by the first test that awaits it.
  image.catch(() => undefined);
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function ready(t: TestContext): Promise<NodeImage | undefined> {
  if (!prerequisite(t, unavailable)) return undefined;
  return image;
}

/** What a reboot does to the NICs: their addresses are gone and they are down (the namespace outlives boots). */
async function rebootNics(node: SimNode): Promise<void> {
  for (const nic of node.nics) {
    await node.exec('ip', ['addr', 'flush', 'dev', nic.name]);
    await node.exec('ip', ['link', 'set', nic.name, 'down']);
  }
}

interface AddrJson {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The IPv4 addresses per NIC that the stand-in kubelet recorded when it started. */
function kubeletSaw(booted: BootedNode): Record<string, string[]> {
  const links = JSON.parse(booted.readFile('/run/kubelet-saw-addr.json')) as AddrJson[];
  return Object.fromEntries(
    links.map((l) => [
      l.ifname,
      (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
    ]),
  );
}

/** asm-erdma.service's start → finished, from systemd's own timestamps (µs, monotonic). */
async function unitSeconds(booted: BootedNode, unit: string): Promise<number> {
  const p = await booted.show(unit, 'InactiveExitTimestampMonotonic', 'ActiveEnterTimestampMonotonic');
  return (Number(p.ActiveEnterTimestampMonotonic) - Number(p.InactiveExitTimestampMonotonic)) / 1e6;
}

async function checkConfiguredBoot(t: TestContext, booted: BootedNode, node: SimNode, expected: unknown) {
  assert.equal((await booted.systemctl('is-active', 'asm-erdma.service')).stdout.trim(), 'active');
  assert.deepEqual(await kernelState(node), expected, 'the NICs as the seed script leaves them');
  const journal = await booted.journal('asm-erdma.service');
  assert.match(journal, /eth1 {2}192\.168\.0\.11\/24 {2}gateway 192\.168\.0\.253 {2}metric 101 {2}changed/);
  assert.match(journal, /configured 2 of 2 eRDMA NIC\(s\) \(primary eth0 left alone\)/);
  const saw = kubeletSaw(booted);
  assert.deepEqual([saw.eth1, saw.eth2], [['192.168.0.11/24'], ['192.168.0.12/24']], 'kubelet started after');
  const unit = await booted.show('asm-erdma.service', 'ActiveEnterTimestampMonotonic');
  const kubelet = await booted.show('kubelet.service', 'InactiveExitTimestampMonotonic');
  assert.ok(Number(kubelet.InactiveExitTimestampMonotonic) >= Number(unit.ActiveEnterTimestampMonotonic));
  t.diagnostic(`asm-erdma.service start → finished: ${(await unitSeconds(booted, 'asm-erdma.service')).toFixed(3)} s`);
}

test('boot: NICs as the seed script leaves them, before kubelet; again at reboot; none once uninstalled', async (t) => {
  const img = await ready(t);
  if (!img) return;
  await withSim(t, { nics: 2 }, async (node) => {
    const pristine = await kernelState(node);
    const legacy = await node.exec('bash', [LEGACY, '-s'], node.cliEnv());
    assert.equal(legacy.exitCode, 0, legacy.stderr);
    const seeded = await kernelState(node);
    assert.deepEqual(ipv4Of(seeded, 'eth1'), ['192.168.0.11/24 metric 101 global'], 'the seed script configured');
    await rebootNics(node);
    assert.deepEqual(await kernelState(node), pristine);
    const disk = join(scratch as string, 'disk-main');
    for (const round of [1, 2]) {
      const booted = await BootedNode.boot(img, node, disk);
      try {
        t.diagnostic(`boot ${round}`);
        await checkConfiguredBoot(t, booted, node, seeded);
        if (round === 2) {
          const un = await booted.exec('/usr/bin/asm-erdma', ['uninstall-service', '--now']);
          assert.equal(un.exitCode, 0, un.stderr);
          assert.match(un.stdout, /asm-erdma.service is removed/);
        }
      } finally {
        await booted.powerOff();
      }
      await rebootNics(node);
    }
    const booted = await BootedNode.boot(img, node, disk);
    try {
      assert.equal((await booted.systemctl('is-active', 'kubelet.service')).stdout.trim(), 'active');
      assert.equal((await booted.systemctl('is-active', 'asm-erdma.service')).stdout.trim(), 'inactive');
      assert.deepEqual(await kernelState(node), pristine, 'uninstalled: the NICs are left alone');
    } finally {
      await booted.powerOff();
    }
  });
});

test('hot-plug: the template started by hand (no udev in a container) configures a NIC added later', async (t) => {
  const img = await ready(t);
  if (!img) return;
  await withSim(t, { nics: 2, hideDevices: true }, async (node) => {
    await node.revealDevice('eth1');
    const booted = await BootedNode.boot(img, node, join(scratch as string, 'disk-hotplug'));
    try {
      assert.equal((await booted.systemctl('is-active', 'asm-erdma.service')).stdout.trim(), 'active');
      assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.11/24 metric 101 global']);
      assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), [], 'no eRDMA device yet');
      await node.revealDevice('eth2');
      const r = await booted.systemctl('start', 'asm-erdma-hotplug@erdma_1.service');
      assert.equal(r.exitCode, 0, r.stderr);
      assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), ['192.168.0.12/24 metric 101 global']);
      const journal = await booted.journal('asm-erdma-hotplug@erdma_1.service');
      assert.match(journal, /eth2 {2}192\.168\.0\.12\/24 .* changed/);
      assert.match(journal, /eth1 {2}192\.168\.0\.11\/24 .* unchanged/);
    } finally {
      await booted.powerOff();
    }
  });
});

test('a metadata server answering 500 for 5 s at boot: the unit still ends active, within its timeout', async (t) => {
  const img = await ready(t);
  if (!img) return;
  const faults = [{ match: '', kind: 'status' as const, status: 500, forMs: 5000 }];
  await withSim(t, { nics: 2, faults }, async (node) => {
    const booted = await BootedNode.boot(img, node, join(scratch as string, 'disk-faults'));
    try {
      assert.equal((await booted.systemctl('is-active', 'asm-erdma.service')).stdout.trim(), 'active');
      assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), ['192.168.0.12/24 metric 101 global']);
      assert.ok(
        node.requests().some((r) => r.status === 500),
        'the outage was seen',
      );
      const seconds = await unitSeconds(booted, 'asm-erdma.service');
      t.diagnostic(`asm-erdma.service start → finished with a 5 s outage: ${seconds.toFixed(3)} s`);
      // TimeoutStartSec=150: still active well within it, after waiting out the outage.
      assert.ok(seconds >= 4 && seconds < 150, `${seconds} s`);
    } finally {
      await booted.powerOff();
    }
  });
});

/** One SMC-R connection, as smcss -a -W prints it (the stand-in's line format: scripts/standins/smc/smcss). */
const SMCR_SOCKET = 'ACTIVE 0 41234 192.168.0.11:80 192.168.0.12:39212 3 SMCR CLNT erdma_0 1 1 fe80::1 fe80::2';
const TEXTFILE = '/var/lib/node_exporter/textfile_collector';

/**
 * Inside the booted node: a named network namespace (as a CNI pins a pod's) and one held only by a process of
 * another user (found through /proc/PID/ns/net), each with one SMC-R connection for the stand-in smcss, as the
 * host namespace has. This kernel has no SMC: a drop-in points the metrics service at a sysfs tree that has the
 * smc module (ASM_ERDMA_SYSROOT) and at the stand-in's per-namespace sockets; everything else is the real unit.
 */
async function podsWithSmc(booted: BootedNode): Promise<void> {
  const script = [
    'set -e',
    'ip netns add pod-a',
    // A process of another user in a namespace of its own; systemd stops it at power-off.
    'systemd-run --quiet --unit=sleeper -p User=nobody -p PrivateNetwork=yes /bin/sleep 600',
    'mkdir -p /opt/sim/sys/module/smc /opt/sim/sys/module/smc_diag /opt/sim/smc',
    'for ns in /proc/1/ns/net /run/netns/pod-a /proc/$(systemctl show -p MainPID --value sleeper)/ns/net; do',
    `  i=$(stat -L -c %i "$ns"); echo '${SMCR_SOCKET}' > /opt/sim/smc/$i`,
    'done',
    'd=/etc/systemd/system/asm-erdma-metrics.service.d; mkdir -p $d',
    'printf "[Service]\\nEnvironment=ASM_ERDMA_SYSROOT=/opt/sim SIM_SMCSS_NETNS=/opt/sim/smc\\n" > $d/sim.conf',
    'systemctl daemon-reload',
  ].join('\n');
  const r = await booted.exec('/bin/sh', ['-c', script]);
  assert.equal(r.exitCode, 0, r.stderr);
}

/** Starts the metrics service by hand (the timer's first run is a minute after boot); its textfile's values. */
async function metricsRun(booted: BootedNode, sandbox = ''): Promise<{ scrape?: number; smcr?: number }> {
  const d = '/etc/systemd/system/asm-erdma-metrics.service.d';
  const set = await booted.exec('/bin/sh', ['-c', `printf '[Service]\\n${sandbox}' > ${d}/sandbox.conf`]);
  assert.equal(set.exitCode, 0, set.stderr);
  assert.equal((await booted.systemctl('daemon-reload')).exitCode, 0);
  const r = await booted.systemctl('start', 'asm-erdma-metrics.service');
  assert.equal(r.exitCode, 0, `${r.stderr}\n${await booted.journal('asm-erdma-metrics.service')}`);
  assert.equal((await booted.show('asm-erdma-metrics.service', 'Result')).Result, 'success');
  const text = booted.readFile(`${TEXTFILE}/asm_erdma.prom`);
  // One series per namespace read (the host's has no labels): their sum counts the namespaces.
  const smcr = [...text.matchAll(/^asm_erdma_smc_connections\{[^}]*mode="smcr"[^}]*\} (\d+)$/gm)];
  return {
    scrape: seriesValue(text, 'asm_erdma_smc_scrape_success'),
    smcr: smcr.length > 0 ? smcr.reduce((n, m) => n + Number(m[1]), 0) : undefined,
  };
}

test('metrics under systemd: timer on at boot; the sandboxed service reads SMC in every pod namespace', async (t) => {
  const img = await ready(t);
  if (!img) return;
  await withSim(t, { nics: 2 }, async (node) => {
    const disk = join(scratch as string, 'disk-metrics');
    let booted = await BootedNode.boot(img, node, disk);
    try {
      const mkdir = await booted.exec('/bin/sh', ['-c', `mkdir -p ${TEXTFILE}`]);
      assert.equal(mkdir.exitCode, 0, mkdir.stderr);
      const r = await booted.exec('/usr/bin/asm-erdma', ['install-service', '--metrics']);
      assert.equal(r.exitCode, 0, r.stderr);
      copyFileSync(join(STANDIN_SMC, 'smcss'), join(`/proc/${booted.pid1}/root`, 'usr/sbin/smcss'));
    } finally {
      await booted.powerOff();
    }
    booted = await BootedNode.boot(img, node, disk);
    try {
      assert.equal((await booted.systemctl('is-active', 'asm-erdma-metrics.timer')).stdout.trim(), 'active');
      await podsWithSmc(booted);
      assert.deepEqual(await metricsRun(booted), { scrape: 1, smcr: 3 }, 'host, pod-a and the sleeper');
      // Each grant is needed: without it the pods go missing, or no SMC reading is made at all.
      const without = (cap: string) =>
        `CapabilityBoundingSet=\\nCapabilityBoundingSet=${['CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']
          .filter((c) => c !== cap)
          .join(' ')}\\n`;
      assert.deepEqual(await metricsRun(booted, without('CAP_SYS_PTRACE')), { scrape: 1, smcr: 2 }, 'no ptrace');
      assert.equal((await metricsRun(booted, without('CAP_SYS_ADMIN'))).scrape, 0, 'no setns');
      assert.equal((await metricsRun(booted, 'RestrictNamespaces=\\nRestrictNamespaces=yes\\n')).scrape, 0);
    } finally {
      await booted.powerOff();
    }
  });
});
