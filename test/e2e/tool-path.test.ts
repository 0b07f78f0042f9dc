/**
 * PATH without /usr/sbin (cron, `su`, some sshd setups): the system tools are still found where EL8 keeps
 * them, and a tool that is really missing is named with every place looked in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, STANDIN_BIN } from '../../scripts/sim/sim-node.js';
import { findOnPath } from '../../src/host/node-facts.js';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';

test('PATH lacking /usr/sbin and /usr/bin: setup and reset run the real ip in /usr/sbin or /sbin', async (t) => {
  const realIp = ['/usr/sbin/ip', '/sbin/ip'].find((f) => existsSync(f));
  if (!realIp)
    throw new Error('the simulator needs iproute2, with ip in /usr/sbin or /sbin (as EL8 and Debian have it)');
  // PATH holds only the rdma stand-in (which itself needs awk and ip, so it is given its own PATH): ip can only
  // come from the /usr/sbin, /sbin fallback.
  const bin = mkdtempSync(join(tmpdir(), 'hostile-fleet-path-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(
    join(bin, 'rdma'),
    `#!/bin/sh\nPATH=/usr/bin:/bin:/usr/sbin:/sbin exec ${join(STANDIN_BIN, 'rdma')} "$@"\n`,
  );
  chmodSync(join(bin, 'rdma'), 0o755);
  assert.equal(findOnPath('ip', bin), undefined, 'ip is not on the PATH given to the CLI');
  await withSim(t, { nics: 2 }, async (node) => {
    const env = node.cliEnv({ PATH: bin });
    const setup = await node.exec(process.execPath, [CLI, 'setup', '-v'], env);
    assert.equal(setup.exitCode, 0, setup.stderr);
    assert.doesNotMatch(setup.stderr, /not found|install/);
    assert.match(setup.stderr, /ip -batch - → exit 0|ip .*→ exit 0/, 'ip ran');
    const after = await kernelState(node);
    assert.deepEqual(ipv4Of(after, 'eth1'), ['192.168.0.11/24 metric 101 global']);
    assert.deepEqual(ipv4Of(after, 'eth2'), ['192.168.0.12/24 metric 101 global']);
    const reset = await node.exec(process.execPath, [CLI, 'reset'], env);
    assert.equal(reset.exitCode, 0, reset.stderr);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});

test('a tool found nowhere is named with the places looked in, and what to install (exit 8)', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    // rdma is in neither /usr/sbin nor /sbin on Debian or EL8: an empty PATH leaves it missing for real.
    if (existsSync('/usr/sbin/rdma') || existsSync('/sbin/rdma')) return void t.skip('rdma is in /usr/sbin here');
    const r = await node.exec(process.execPath, [CLI, 'setup'], node.cliEnv({ PATH: '/nonexistent' }));
    assert.equal(r.exitCode, 8);
    assert.equal(
      r.stderr.trim(),
      "error: 'rdma' was not found on PATH, /usr/sbin or /sbin (install iproute (rdma is part of iproute2))",
    );
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
  });
});
