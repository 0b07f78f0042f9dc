import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT, type SimNode } from '../../scripts/sim/sim-node.js';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';
import { startCli } from '../helpers/live-cli.js';
import { runCli } from '../helpers/cli.js';

const FAULTY = join(REPO_ROOT, 'scripts/sim/faulty-bin');
/** Node's start-up and teardown on a loaded 2-core machine (seen: 3+ s); bounds are "deadline + 1 s + SLACK". */
const SLACK = 8000;
const oneLine = (stderr: string): void => assert.equal(stderr.trim().split('\n').length, 1, stderr);

async function timed(node: SimNode, args: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const r = await node.cli(args, env);
  return { ...r, ms: Date.now() - started };
}

/** Processes left in the node's namespace besides the metadata server: a killed tool must leave none. */
async function strays(node: SimNode): Promise<string[]> {
  const pids = String((await execa('ip', ['netns', 'pids', node.ns], { reject: false })).stdout)
    .split('\n')
    .filter(Boolean);
  const cmds = pids.map((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      return '';
    }
  });
  return cmds.filter((c) => c !== '' && !c.includes('metadata-server'));
}

for (const token of [
  { name: 'never answers', fault: { match: '/api/token', kind: 'hang' as const } },
  { name: 'keeps answering 503', fault: { match: '/api/token', kind: 'status' as const, status: 503 } },
]) {
  test(`a token endpoint that ${token.name}: setup [--wait] --timeout 40 configures the NICs in seconds`, async (t) => {
    await withSim(t, { nics: 2, faults: [token.fault] }, async (node) => {
      const r = await timed(node, ['setup', '--timeout', '40']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(r.ms < 8000 + SLACK, `exited after ${r.ms} ms`);
      // boot mode too (the unit's command): it waits for a server that is not up yet, never for its token
      await node.cli(['reset']);
      const boot = await timed(node, ['setup', '--wait', '--settle', '0', '--timeout', '40']);
      assert.equal(boot.exitCode, 0, boot.stderr);
      assert.ok(boot.ms < 8000 + SLACK, `boot mode exited after ${boot.ms} ms`);
      assert.equal(r.exitCode, 0, r.stderr);
      const state = await kernelState(node);
      assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
      assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
      // before: the token retry loop kept the process alive until the 40 s deadline
    });
  });
}

test('hanging rdma: setup, reset, status exit 9 by --timeout + 1 s; the tool is killed, the lock freed', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const hang = { SIM_RDMA_FAIL: 'hang' };
    for (const command of ['setup', 'reset', 'status']) {
      const r = await timed(node, [command, '--timeout', '2'], hang);
      assert.equal(r.exitCode, 9, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /^error: rdma did not answer within 2 s/m, command);
      if (command !== 'status') {
        assert.match(
          r.stderr,
          new RegExp(
            String.raw`^error: rdma did not answer within 2 s \('rdma -j link show'\); it was killed \(run 'rdma ` +
              "-j link show' by hand",
          ),
        );
        oneLine(r.stderr);
      }
      assert.ok(r.ms < 3000 + SLACK, `${command} took ${r.ms} ms`);
      assert.deepEqual(await strays(node), [], 'the hung rdma and its child were killed (process group)');
    }
    const after = await node.cli(['setup']);
    assert.equal(after.exitCode, 0, after.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.11/24 metric 101 global']);
  });
});

test('a hanging ip: exit 9 naming ip, nothing changed', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const before = await kernelState(node);
    const r = await timed(node, ['setup', '--timeout', '2'], {
      PATH: `${FAULTY}:${node.cliEnv().PATH}`,
      SIM_IP_HANG: 'addr',
    });
    assert.equal(r.exitCode, 9, r.stderr);
    assert.match(r.stderr, /^error: ip did not answer within 2 s \('ip -j addr show'\); it was killed/);
    oneLine(r.stderr);
    assert.ok(r.ms < 3000 + SLACK, `took ${r.ms} ms`);
    assert.deepEqual(await strays(node), []);
    assert.deepEqual(await kernelState(node), before);
  });
});

test('an ip -batch hanging part-way is killed at the deadline; the unfinished NIC is put back', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const env = { PATH: `${FAULTY}:${node.cliEnv().PATH}`, SIM_IP_HANG_LINE: 'dev eth2 metric' };
    const r = await timed(node, ['setup', '--timeout', '2'], env);
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`^error: eth2: ip -batch stopped before 'ip addr add 192\.168\.0\.12/24 dev eth2 metric 101' ran: ` +
          String.raw`ip did not answer within 2 s .*\(put back as it was; `,
        'm',
      ),
    );
    oneLine(r.stderr);
    assert.ok(r.ms < 3000 + SLACK, `took ${r.ms} ms`);
    assert.deepEqual(await strays(node), []);
    const state = await kernelState(node);
    assert.deepEqual(ipv4Of(state, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(state, 'eth2'), []);
    assert.equal((state.links.eth2 as { up: boolean }).up, false);
    // The record has eth1 only: reset without the metadata server still knows eth1's address.
    const reset = await node.cli(['reset', '--metadata-url', 'http://127.0.0.1:9']);
    assert.equal(reset.exitCode, 0, reset.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('an rdma printing garbage is exit 8 (tool unusable), not "no eRDMA NIC"', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await node.cli(['setup'], { SIM_RDMA_FAIL: 'garbage' });
    assert.equal(r.exitCode, 8, r.stderr);
    assert.match(r.stderr, /^error: rdma is unusable: rdma link show printed a line that is not a port: '.*ELF/);
    oneLine(r.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('credentials in --metadata-url are refused (exit 2, one line, secret not echoed); nothing asked', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    for (const url of ['http://admin:s3cret@100.100.100.200', 'http://s3cret@100.100.100.200']) {
      for (const command of ['setup', 'reset', 'status']) {
        const r = await node.cli([command, '--metadata-url', url]);
        assert.equal(r.exitCode, 2, `${command} ${url}: ${r.stderr}`);
        assert.match(r.stderr, /^error: --metadata-url must not contain credentials \(user:password@\)/);
        assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
        oneLine(r.stderr);
      }
    }
    const json = await node.cli(['setup', '--json', '--metadata-url', 'http://a:b@100.100.100.200']);
    assert.equal((JSON.parse(json.stdout) as { error: { code: number } }).error.code, 2);
    assert.equal(node.requests().length, 0);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('Retry-After: 429 with Retry-After: 2 three times, then OK → setup waits as asked and succeeds', async (t) => {
  const faults = [{ match: '/meta-data/', kind: 'burst' as const, status: 429, count: 3, retryAfter: '2' }];
  await withSim(t, { nics: 1, faults }, async (node) => {
    const r = await timed(node, ['setup', '--timeout', '30']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.11/24 metric 101 global']);
    const gets = node
      .requests()
      .filter((q) => q.path.endsWith('/netmask'))
      .sort((a, b) => a.arrivedAt - b.arrivedAt);
    assert.deepEqual(
      gets.map((q) => q.status),
      [429, 429, 429, 200],
    );
    for (let i = 1; i < gets.length; i++) {
      const gap = (gets[i]?.arrivedAt ?? 0) - (gets[i - 1]?.answeredAt ?? 0);
      assert.ok(gap >= 1900, `asked again ${Math.round(gap)} ms after a Retry-After: 2`);
    }
    assert.ok(r.ms < 20_000 + SLACK, `took ${r.ms} ms`);
  });
});

test('a Retry-After past the deadline: exit 5 at once, saying so; nothing changed', async (t) => {
  const faults = [{ match: '/gateway', kind: 'status' as const, status: 503, retryAfter: '120' }];
  await withSim(t, { nics: 1, faults }, async (node) => {
    const r = await timed(node, ['setup', '--timeout', '20']);
    assert.equal(r.exitCode, 5, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        '^error: eth1: .*gateway answered HTTP 503 and asked to retry after 120 s, past the deadline ' +
          String.raw`\(\d+\.\d s left, 1 attempt\(s\)\); nothing was changed`,
      ),
    );
    oneLine(r.stderr);
    assert.ok(r.ms < 1000 + SLACK, `gave up at once, not at the deadline: ${r.ms} ms`);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('a lock wait that used most of the deadline is exit 7, not blamed on the metadata server', async (t) => {
  await withSim(t, { nics: 1, faults: [{ match: '', kind: 'hang' }] }, async (node) => {
    // Another run holds the lock (the abstract socket of this namespace) until the test lets go.
    const holder = spawn(
      'ip',
      [
        'netns',
        'exec',
        node.ns,
        process.execPath,
        '-e',
        "require('net').createServer().listen({ path: '\\0asm-erdma.lock' }, () => console.log('held')); " +
          "process.stdin.on('data', () => process.exit(0))",
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve));
      const run = startCli(node, ['setup', '--timeout', '4']);
      await run.waitFor(/another asm-erdma run is in progress; waiting for it/);
      // Let go when more than half of the 4 s is gone: the metadata server (hanging) then gets the blame today.
      const released = new Promise((resolve) => setTimeout(() => resolve(holder.stdin.write('x\n')), 2500));
      const r = await run.done;
      await released;
      assert.equal(r.exitCode, 7, r.stderr);
      assert.match(
        r.stderr,
        /^error: another asm-erdma run held the lock for \d\.\d s of the 4\.0 s deadline, then: .*no answer/m,
      );
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1, r.stderr);
      assert.ok(r.ms < 5000 + SLACK, `took ${r.ms} ms`);
    } finally {
      holder.kill();
    }
  });
});

test('hot-plug: the udev-started unit configures a NIC attached later and leaves the others alone', async (t) => {
  await withSim(t, { nics: 2, hideDevices: true }, async (node) => {
    await node.revealDevice('eth1');
    assert.equal((await node.cli(['setup', '--wait', '--timeout', '10', '--settle', '0'])).exitCode, 0);
    const eth1Before = ipv4Of(await kernelState(node), 'eth1');
    // The command line of the installed hot-plug template, exactly as install-service writes it.
    const root = mkdtempSync(join(tmpdir(), 'asm-erdma-hotplug-'));
    try {
      // The image's asm-erdma: a wrapper around this build, at the same path in the image and on this machine.
      const wrapper = join(root, 'asm-erdma');
      writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
      mkdirSync(join(root, root), { recursive: true });
      copyFileSync(wrapper, join(root, wrapper));
      const installed = await runCli([
        'install-service',
        '--root',
        root,
        '--exec',
        wrapper,
        '--timeout',
        '20',
        '--json',
      ]);
      if (installed.exitCode !== 0) {
        assert.match(installed.stderr, /systemctl/, installed.stderr); // no systemctl: covered by service tests
        return;
      }
      const template = readFileSync(join(root, 'etc/systemd/system/asm-erdma-hotplug@.service'), 'utf8');
      const exec = /^ExecStart=(.*)$/m.exec(template)?.[1]?.split(' ') ?? [];
      assert.deepEqual(exec, [wrapper, 'setup', '--wait', '--timeout', '20']);
      await node.revealDevice('eth2'); // the ENI is attached: udev sees erdma_1 and starts the instance
      const r = await node.exec(exec[0] ?? '', exec.slice(1), node.cliEnv());
      assert.equal(r.exitCode, 0, r.stderr);
      const state = await kernelState(node);
      assert.deepEqual(ipv4Of(state, 'eth2'), ['192.168.0.12/24 metric 101 global']);
      assert.deepEqual(ipv4Of(state, 'eth1'), eth1Before);
      assert.match(r.stdout, /configured 1 of 2 eRDMA NIC\(s\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
