/**
 * What setup may change and what it must refuse (issue 8, items 4, 5, 6, 10): stale addresses of its own,
 * conflicting answers, odd interface names, a batch ip stops part-way, a multipath default route.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';

interface NicJson {
  name: string;
  result: string;
  stale: string[];
  actions: string[];
  warnings: string[];
  error?: string;
}

const record = (dir: string): Record<string, { mac: string; address: string; prefix: number }> =>
  JSON.parse(readFileSync(join(dir, 'run/owned.json'), 'utf8')) as Record<
    string,
    { mac: string; address: string; prefix: number }
  >;

test('metadata moves a NIC from .102 to .120: setup replaces its own old address in the same batch', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const mac = node.nics[0]?.mac ?? '';
    node.setNicMetadata(mac, { 'primary-ip-address': '192.168.0.102' });
    const first = await node.cli(['setup']);
    assert.equal(first.exitCode, 0, first.stderr);
    // Someone else's address in the same subnet: it is not in setup's record, so it stays (with a warning).
    assert.equal((await node.exec('ip', ['addr', 'add', '192.168.0.99/24', 'dev', 'eth1'])).exitCode, 0);
    node.setNicMetadata(mac, { 'primary-ip-address': '192.168.0.120' });

    const r = await node.cli(['setup', '--json', '--verbose']);
    assert.equal(r.exitCode, 0, r.stderr);
    const nic = (JSON.parse(r.stdout) as { nics: NicJson[] }).nics[0];
    assert.deepEqual(nic?.stale, ['192.168.0.102/24']);
    // The bare namespace has promote_secondaries=0: deleting .102 takes .99 with it, so it is put back.
    assert.deepEqual(nic?.actions, [
      'ip addr del 192.168.0.102/24 dev eth1',
      'ip addr add 192.168.0.120/24 dev eth1 metric 101',
      'ip addr add 192.168.0.99/24 dev eth1 metric 0',
    ]);
    assert.equal(r.stderr.match(/ip -force -batch - → exit 0/g)?.length, 1, 'one batch for the whole change');
    assert.deepEqual(
      nic?.warnings.map((w) => w.replace(/, which.*/, '')),
      ['eth1 also carries 192.168.0.99/24'],
      'no warning for .102',
    );
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), [
      '192.168.0.120/24 metric 101 global',
      '192.168.0.99/24 metric 0 global',
    ]);
    assert.deepEqual(record(node.dir).eth1, { mac, address: '192.168.0.120', prefix: 24 });

    const reset = await node.cli(['reset', '--json']);
    assert.equal(reset.exitCode, 0, reset.stderr);
    const rn = (JSON.parse(reset.stdout) as { nics: { removed: string[]; kept: string[] }[] }).nics[0];
    assert.deepEqual([rn?.removed, rn?.kept], [['192.168.0.120/24'], ['192.168.0.99/24']]);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.99/24 metric 0 global']);
  });
});

test('a replacement that fails part-way puts the old address back, undoing newest first', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const mac = node.nics[0]?.mac ?? '';
    node.setNicMetadata(mac, { 'primary-ip-address': '192.168.0.102' });
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    assert.equal((await node.exec('ip', ['addr', 'add', '192.168.0.99/24', 'dev', 'eth1'])).exitCode, 0);
    node.setNicMetadata(mac, { 'primary-ip-address': '192.168.0.120' });
    // Batch: del .102 (takes .99 along: no promote_secondaries), add .120, add .99 back ← fails.
    const faulty = join(REPO_ROOT, 'scripts/sim/faulty-bin');
    const env = { PATH: `${faulty}:${node.cliEnv().PATH}`, SIM_IP_FAIL: '192.168.0.99/24' };
    const r = await node.cli(['setup', '--json'], env);
    assert.equal(r.exitCode, 6, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { nics: NicJson[] }).nics.map((n) => n.result),
      ['rolled-back'],
    );
    // Undone newest first: del .120, then add .102. In the other order the kernel would drop .102 with .120.
    const left = ipv4Of(await kernelState(node), 'eth1');
    assert.ok(left.includes('192.168.0.102/24 metric 101 global'), left.join(', '));
    assert.ok(!left.some((a) => a.startsWith('192.168.0.120/')), left.join(', '));
    assert.deepEqual(record(node.dir).eth1, { mac, address: '192.168.0.102', prefix: 24 }, 'the record is unchanged');
  });
});

test('an address of a NIC whose record has another MAC is not ours: it stays, with the warning', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const mac = node.nics[0]?.mac ?? '';
    node.setNicMetadata(mac, { 'primary-ip-address': '192.168.0.102' });
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    // The record names eth1 with another MAC (the ENI was swapped): its address is someone else's now.
    const rec = record(node.dir);
    rec.eth1 = { ...rec.eth1, mac: '00:16:3e:ff:ff:ff', address: '192.168.0.102', prefix: 24 };
    writeFileSync(join(node.dir, 'run/owned.json'), JSON.stringify(rec));
    node.setNicMetadata(mac, { 'primary-ip-address': '192.168.0.120' });
    const r = await node.cli(['setup', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const nic = (JSON.parse(r.stdout) as { nics: NicJson[] }).nics[0];
    assert.deepEqual(nic?.stale, []);
    assert.match(
      nic?.warnings.join('\n') ?? '',
      /eth1 also carries 192\.168\.0\.102\/24, which the metadata server did not give/,
    );
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), [
      '192.168.0.102/24 metric 101 global',
      '192.168.0.120/24 metric 101 global',
    ]);
  });
});

test('conflicting addresses are refused before any change, exit 5, naming both sides', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const [a, b] = node.nics.map((n) => n.mac) as [string, string];
    const pristine = await kernelState(node);
    const cases: { set: [string, Record<string, string>][]; message: RegExp }[] = [
      {
        set: [[a, { 'primary-ip-address': '192.168.0.10' }]],
        message: /eth1 would get 192\.168\.0\.10, which is the address of eth0 \(the primary NIC\)/,
      },
      {
        set: [[a, { 'primary-ip-address': '192.168.0.253' }]],
        message: /eth1 would get 192\.168\.0\.253, which is its own gateway/,
      },
      {
        set: [[a, { 'primary-ip-address': '192.168.0.253', gateway: '192.168.0.1' }]],
        message: /eth1 would get 192\.168\.0\.253, which is the gateway of the default route \(via eth0\)/,
      },
      {
        set: [[b, { 'primary-ip-address': '192.168.0.11' }]],
        message: /eth2 would get 192\.168\.0\.11, which is also given to eth1 by the metadata server/,
      },
      {
        set: [[a, { 'primary-ip-address': '192.168.0.255', netmask: '255.255.0.0' }]],
        message: /eth1 would get 192\.168\.0\.255, which is the broadcast address of eth0's subnet 192\.168\.0\.0\/24/,
      },
      {
        set: [[a, { 'primary-ip-address': '192.168.0.0' }]],
        message: /eth1: metadata primary-ip-address is invalid: '192\.168\.0\.0' \(is the network or broadcast address/,
      },
    ];
    const original = structuredClone(node.config.nics);
    for (const c of cases) {
      node.config.nics = structuredClone(original);
      for (const [mac, values] of c.set) node.setNicMetadata(mac, values);
      for (const args of [['setup'], ['setup', '--dry-run']]) {
        const r = await node.cli(args);
        assert.equal(r.exitCode, 5, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, c.message);
        assert.match(r.stderr, /nothing was changed/);
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      }
      assert.deepEqual(await kernelState(node), pristine);
    }
  });
});

test('odd but valid interface names: eth0#1 and "q get their own addresses, never eth0\'s', async (t) => {
  await withSim(t, { nicNames: ['eth0#1', '"q'] }, async (node) => {
    const before = await kernelState(node);
    const dry = await node.cli(['setup', '--dry-run']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.deepEqual(dry.stdout.trim().split('\n').slice(1), [
      "ip link set dev 'eth0#1' up",
      "ip addr add 192.168.0.11/24 dev 'eth0#1' metric 101",
      `ip link set dev '"q' up`,
      `ip addr add 192.168.0.12/24 dev '"q' metric 101`,
    ]);
    const r = await node.cli(['setup', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { nics: NicJson[] }).nics.map((n) => `${n.name}:${n.result}`),
      ['eth0#1:changed', '"q:changed'],
    );
    const after = await kernelState(node);
    assert.deepEqual(after.links.eth0, before.links.eth0, 'the primary is untouched');
    assert.deepEqual(ipv4Of(after, 'eth0#1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(after, '"q'), ['192.168.0.12/24 metric 101 global']);
    assert.deepEqual(Object.keys(record(node.dir)), ['eth0#1', '"q']);
    const reset = await node.cli(['reset']);
    assert.equal(reset.exitCode, 0, reset.stderr);
    assert.deepEqual(await kernelState(node), before);
  });
});

test('a batch ip stops part-way: the NIC it stopped in is put back, the record says what really changed', async (t) => {
  await withSim(t, { nics: 3 }, async (node) => {
    const before = await kernelState(node);
    const faulty = join(REPO_ROOT, 'scripts/sim/faulty-bin');
    const r = await node.cli(['setup', '--json'], {
      PATH: `${faulty}:${node.cliEnv().PATH}`,
      SIM_IP_ABORT: '192.168.0.12/24',
    });
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        "^error: eth2: ip -batch stopped before 'ip addr add 192\\.168\\.0\\.12/24 dev eth2 metric 101' ran: " +
          'Unterminated quoted string \\(put back as it was',
        'm',
      ),
    );
    const nics = (JSON.parse(r.stdout) as { nics: NicJson[] }).nics;
    assert.deepEqual(
      nics.map((n) => `${n.name}:${n.result}`),
      ['eth1:changed', 'eth2:rolled-back', 'eth3:failed'],
    );
    assert.match(nics[2]?.error ?? '', /stopped before 'ip link set dev eth3 up' ran/);
    const after = await kernelState(node);
    assert.deepEqual(ipv4Of(after, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(after.links.eth2, before.links.eth2, 'eth2 is down and bare again');
    assert.deepEqual(after.links.eth3, before.links.eth3);
    assert.deepEqual(Object.keys(record(node.dir)), ['eth1']);
    // The next run finishes the job.
    const again = await node.cli(['setup']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth3'), ['192.168.0.13/24 metric 101 global']);
  });
});

test('a multipath default route: the primary is found through its nexthops', async (t) => {
  await withSim(t, { nics: 1, multipathDefault: true }, async (node) => {
    const r = await node.cli(['setup', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { primary: string }).primary, 'eth0');
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.equal((await node.cli(['reset'])).exitCode, 0);
    // Every nexthop's gateway is a gateway: a NIC given the second one is refused.
    node.setNicMetadata(node.nics[0]?.mac ?? '', { 'primary-ip-address': '192.168.0.252' });
    const bad = await node.cli(['setup']);
    assert.equal(bad.exitCode, 5, bad.stderr);
    assert.match(bad.stderr, /eth1 would get 192\.168\.0\.252, which is the gateway of the default route \(via eth0\)/);
  });
});
