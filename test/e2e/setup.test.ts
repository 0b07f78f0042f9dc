import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { roundTripDepth } from '../../scripts/sim/metadata-model.js';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';

const LEGACY = join(REPO_ROOT, 'scripts/legacy/asm_erdma_eth_config.sh');

test('setup leaves the kernel state the legacy script leaves; reset --all matches its reset', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const pristine = await kernelState(node);
    const legacy = await node.exec('bash', [LEGACY, '-s'], node.cliEnv());
    assert.equal(legacy.exitCode, 0, legacy.stderr);
    const legacyState = await kernelState(node);
    assert.deepEqual(
      ipv4Of(legacyState, 'eth1'),
      ['192.168.0.11/24 metric 101 global'],
      'the legacy script really configured eth1',
    );
    assert.equal((await node.exec('bash', [LEGACY, '-r'], node.cliEnv())).exitCode, 0);
    const legacyReset = await kernelState(node);
    assert.deepEqual(legacyReset, pristine);

    const ours = await node.cli(['setup']);
    assert.equal(ours.exitCode, 0, ours.stderr);
    assert.deepEqual(await kernelState(node), legacyState);
    const reset = await node.cli(['reset']);
    assert.equal(reset.exitCode, 0, reset.stderr);
    assert.deepEqual(await kernelState(node), legacyReset);
  });
});

test('a second setup changes nothing and says so', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const after = await kernelState(node);
    const again = await node.cli(['setup', '--json']);
    assert.equal(again.exitCode, 0);
    const report = JSON.parse(again.stdout) as { nics: { result: string; actions: string[] }[] };
    assert.deepEqual(
      report.nics.map((n) => [n.result, n.actions.length]),
      [
        ['unchanged', 0],
        ['unchanged', 0],
      ],
    );
    assert.deepEqual(await kernelState(node), after);
    const human = await node.cli(['setup']);
    assert.match(human.stdout, /nothing to do: 2 eRDMA NIC\(s\) already configured/);
  });
});

test('--dry-run prints the exact commands and changes nothing', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const before = await kernelState(node);
    const r = await node.cli(['setup', '--dry-run']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').slice(1), [
      'ip link set dev eth1 up',
      'ip addr add 192.168.0.11/24 dev eth1 metric 101',
      'ip link set dev eth2 up',
      'ip addr add 192.168.0.12/24 dev eth2 metric 101',
    ]);
    assert.deepEqual(await kernelState(node), before);
  });
});

test('--json: stdout is exactly one JSON document with every NIC field', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await node.cli(['setup', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(doc, {
      command: 'setup',
      dryRun: false,
      primary: 'eth0',
      nics: [
        {
          name: 'eth1',
          mac: '00:16:3e:5a:00:01',
          address: '192.168.0.11',
          prefix: 24,
          gateway: '192.168.0.253',
          metric: 101,
          stale: [],
          actions: ['ip link set dev eth1 up', 'ip addr add 192.168.0.11/24 dev eth1 metric 101'],
          result: 'changed',
          warnings: [],
        },
      ],
    });
  });
});

test('the primary NIC is found by its default route, not its name, and never changed', async (t) => {
  await withSim(t, { nics: 1, primaryName: 'ens5', primaryMetric: 300 }, async (node) => {
    const before = await kernelState(node);
    const r = await node.cli(['setup', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const after = await kernelState(node);
    assert.deepEqual(after.links.ens5, before.links.ens5);
    assert.deepEqual(ipv4Of(after, 'eth1'), ['192.168.0.11/24 metric 301 global']);
    assert.equal((JSON.parse(r.stdout) as { primary: string }).primary, 'ens5');
    const refused = await node.cli(['setup', '-i', 'ens5']);
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, /ens5 is the primary NIC/);
  });
});

test('--interface restricts the run; an unknown one is refused before any change', async (t) => {
  await withSim(t, { nics: 3 }, async (node) => {
    const before = await kernelState(node);
    const bad = await node.cli(['setup', '-i', 'eth2', '-i', 'eth9']);
    assert.equal(bad.exitCode, 4);
    assert.match(bad.stderr, /eth9: not an eRDMA NIC \(eRDMA NICs here: eth1, eth2, eth3\)/);
    assert.deepEqual(await kernelState(node), before);
    assert.equal((await node.cli(['setup', '--interface', 'eth2'])).exitCode, 0);
    const after = await kernelState(node);
    assert.deepEqual(ipv4Of(after, 'eth1'), []);
    assert.deepEqual(ipv4Of(after, 'eth2'), ['192.168.0.12/24 metric 101 global']);
    assert.deepEqual(ipv4Of(after, 'eth3'), []);
  });
});

test('no eRDMA NIC, or no RDMA netlink: its own exit code and a clear message', async (t) => {
  await withSim(t, { nics: 0 }, async (node) => {
    const r = await node.cli(['setup']);
    assert.equal(r.exitCode, 4);
    assert.match(r.stderr, /^error: no eRDMA NIC found/);
  });
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await node.cli(['setup'], { SIM_RDMA_FAIL: 'netlink' });
    assert.equal(r.exitCode, 4);
    assert.match(r.stderr, /Failed to open NETLINK_RDMA socket/);
  });
});

test('an rdma without -j is read through its text form', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const r = await node.cli(['setup'], { SIM_RDMA_NO_JSON: '1' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), ['192.168.0.12/24 metric 101 global']);
  });
});

test('hardened metadata mode: 8 NICs in two round trips, every answered GET with the token', async (t) => {
  await withSim(t, { nics: 8, tokenMode: 'enforced', latencyMs: 200 }, async (node) => {
    const r = await node.cli(['setup']);
    assert.equal(r.exitCode, 0, r.stderr);
    const reqs = node.requests();
    assert.equal(roundTripDepth(reqs), 2, 'two sequential round trips');
    const answered = reqs.filter((q) => q.method === 'GET' && q.status === 200);
    assert.equal(answered.length, 8 * 3);
    assert.ok(answered.every((q) => q.withToken));
    assert.ok(!/token/i.test(r.stdout + r.stderr));
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth8'), ['192.168.0.18/24 metric 101 global']);
  });
});

test('normal metadata mode: 8 NICs in one round trip', async (t) => {
  await withSim(t, { nics: 8, tokenMode: 'optional', latencyMs: 200 }, async (node) => {
    const r = await node.cli(['setup']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(roundTripDepth(node.requests()), 1);
    assert.equal(node.requests().length, 1 + 8 * 3);
  });
});

test('a non-root run is refused before touching anything', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const before = await kernelState(node);
    const r = await node.exec(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--',
        process.execPath,
        join(REPO_ROOT, 'bin/asm-erdma.js'),
        'setup',
      ],
      node.cliEnv(),
    );
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(r.stderr, /setup needs root \(CAP_NET_ADMIN\); nothing was changed/);
    assert.deepEqual(await kernelState(node), before);
    assert.equal(node.requests().length, 0);
  });
});

test('five concurrent runs end in the state of one, all exit 0', async (t) => {
  await withSim(t, { nics: 2, latencyMs: 30 }, async (node) => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => node.cli(['setup', '--json'])));
    assert.deepEqual(
      runs.map((r) => r.exitCode),
      [0, 0, 0, 0, 0],
      runs.map((r) => r.stderr).join('\n'),
    );
    const results = runs.flatMap((r) =>
      (JSON.parse(r.stdout) as { nics: { result: string }[] }).nics.map((n) => n.result),
    );
    assert.equal(results.filter((x) => x === 'changed').length, 2, 'each NIC changed by exactly one run');
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
  });
});

test('a NIC that fails half-way is put back as it was', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const before = await kernelState(node);
    const faulty = join(REPO_ROOT, 'scripts/sim/faulty-bin');
    const r = await node.cli(['setup', '--json'], {
      PATH: `${faulty}:${node.cliEnv().PATH}`,
      SIM_IP_FAIL: '192.168.0.12/24',
    });
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`eth2: 'ip addr add 192.168.0.12\/24 dev eth2 metric 101' failed: RTNETLINK answers: Operation ` +
          String.raw`not permitted \(put back as it was; check it with ip addr show dev eth2, then run again\)$`,
        'm',
      ),
    );
    const report = JSON.parse(r.stdout) as { nics: { name: string; result: string }[] };
    assert.deepEqual(
      report.nics.map((n) => `${n.name}:${n.result}`),
      ['eth1:changed', 'eth2:rolled-back'],
    );
    const after = await kernelState(node);
    assert.deepEqual(after.links.eth2, before.links.eth2, 'eth2 is down and bare again');
    assert.deepEqual(ipv4Of(after, 'eth1'), ['192.168.0.11/24 metric 101 global']);
  });
});
