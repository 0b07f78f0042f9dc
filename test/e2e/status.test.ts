import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT, type SimNode } from '../../scripts/sim/sim-node.js';
import { roundTripDepth } from '../../scripts/sim/metadata-model.js';
import { withSim } from '../helpers/sim.js';

const PKG = join(REPO_ROOT, 'scripts/standins/packages');
const SYSTEMD = join(REPO_ROOT, 'scripts/standins/systemd');

interface Report {
  ready: boolean;
  failed: number;
  checks: { id: string; state: string; detail: string; fix: string | null }[];
}

/**
 * Runs `status` in the simulated node inside a private mount namespace: an overlay over /etc (unit files,
 * CNI config) and, for a node with SMC, tmpfs stand-ins for /sys/module/smc and /proc/sys/net/smc — the
 * kernel here has no SMC. Nothing leaks to this machine's /etc, /sys or /proc.
 */
async function status(node: SimNode, o: { running?: string; smc?: boolean; terway?: boolean; installUnit?: boolean; env?: Record<string, string>; args?: string[] } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'asm-erdma-status-'));
  mkdirSync(join(scratch, 'upper'));
  mkdirSync(join(scratch, 'work'));
  const steps = [`mount -t overlay overlay -o lowerdir=/etc,upperdir=${scratch}/upper,workdir=${scratch}/work /etc`, 'mkdir -p /etc/systemd/system'];
  if (o.smc) steps.push('mount -t tmpfs none /sys/module', 'mkdir /sys/module/smc', 'mount -t tmpfs none /proc/sys/net', 'mkdir /proc/sys/net/smc', 'touch /proc/sys/net/smc/autocorking_size /proc/sys/net/smc/smcr_buf_type');
  if (o.terway) steps.push('mkdir -p /etc/cni/net.d', 'echo {} > /etc/cni/net.d/10-terway.conflist');
  if (o.installUnit) steps.push(`"${process.execPath}" "${CLI}" install-service >/dev/null 2>&1`);
  const env = {
    ...node.cliEnv(),
    PATH: `${PKG}:${SYSTEMD}:${node.cliEnv().PATH}`,
    SIM_UNAME_R: o.running ?? '5.10.134-17.3.al8.x86_64',
    SIM_PKG_ROOT: join(scratch, 'pkgroot'),
    ...o.env,
  };
  try {
    const r = await node.exec('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${steps.join(' && ')} && exec "$@"`, 'sh', process.execPath, CLI, 'status', ...(o.args ?? ['--json'])], env);
    return { ...r, report: r.stdout.startsWith('{') ? (JSON.parse(r.stdout) as Report) : undefined };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const stateOf = (report: Report | undefined, id: string) => report?.checks.find((c) => c.id === id);

test('before setup: NICs down, not ready, each with the command that fixes it', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const r = await status(node, { smc: true });
    assert.equal(r.exitCode, 14, r.stderr);
    assert.equal(r.report?.ready, false);
    assert.deepEqual(stateOf(r.report, 'nic:eth1'), { id: 'nic:eth1', state: 'fail', detail: 'eth1 is down', fix: 'asm-erdma setup -i eth1' });
    assert.equal(stateOf(r.report, 'erdma-devices')?.state, 'ok');
    assert.equal(stateOf(r.report, 'boot-unit')?.state, 'warn');
  });
});

test('after setup, with SMC loaded and the boot unit installed: ready, every check ok', async (t) => {
  await withSim(t, { nics: 2, latencyMs: 200 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    node.clearRequests();
    const r = await status(node, { smc: true, installUnit: true });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(r.report?.checks.filter((c) => c.state !== 'ok'), []);
    assert.deepEqual(r.report?.checks.map((c) => c.id), ['kernel', 'hotfix', 'erdma-devices', 'primary-nic', 'metadata', 'nic:eth1', 'nic:eth2', 'boot-unit', 'smc-module', 'smc-sysctl', 'network-manager']);
    assert.match(stateOf(r.report, 'nic:eth2')?.detail ?? '', /eth2 up, 192.168.0.12\/24 metric 101/);
    assert.equal(roundTripDepth(node.requests()), 1, 'one metadata round trip for the whole report');
  });
});

test('human table: state, detail and fix lines; on 16.3 without the hotfix it fails', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await status(node, { running: '5.10.134-16.3.al8.x86_64', args: [] });
    assert.equal(r.exitCode, 14);
    assert.match(r.stdout, /^CHECK +STATE +DETAIL$/m);
    assert.match(r.stdout, /^hotfix +fail +5.10.134-16.3.al8.x86_64 needs kernel-hotfix-16664924-5.10.134-16.3/m);
    assert.match(r.stdout, /^ +fix: asm-erdma hotfix$/m);
    assert.match(r.stdout, /^smc-module +fail +the smc kernel module is not loaded\n +fix: modprobe smc$/m);
    assert.match(r.stdout, /NOT ready for SMC over eRDMA: \d+ failed/);
  });
});

test('a foreign address with Terway on the node is a warning naming eni_tag_filter', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    await node.exec('ip', ['addr', 'add', '192.168.0.77/24', 'dev', 'eth1']);
    const r = await status(node, { smc: true, terway: true, installUnit: true });
    const terway = stateOf(r.report, 'terway');
    assert.equal(terway?.state, 'warn');
    assert.match(terway?.detail ?? '', /eth1 192.168.0.77\/24/);
    assert.match(terway?.fix ?? '', /eni_tag_filter/);
    assert.equal(r.exitCode, 0, 'a warning alone does not make the node unready');
  });
});

test('a missing rdma tool and a dead metadata server are marked; the report is still printed', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const bin = mkdtempSync(join(tmpdir(), 'asm-erdma-bin-'));
    try {
      for (const tool of ['ip', 'sh', 'mount', 'mkdir', 'touch', 'unshare']) {
        const where = String((await execa('sh', ['-c', `command -v ${tool}`])).stdout).trim();
        symlinkSync(where, join(bin, tool));
      }
      const r = await status(node, { smc: true, env: { PATH: `${PKG}:${SYSTEMD}:${bin}` }, args: ['--json', '--metadata-url', 'http://100.100.100.200:81', '--timeout', '3'] });
      assert.equal(r.exitCode, 14, r.stderr);
      assert.match(stateOf(r.report, 'erdma-devices')?.detail ?? '', /'rdma' was not found on PATH/);
      assert.equal(stateOf(r.report, 'erdma-devices')?.state, 'fail');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const down = await status(node, { smc: true, args: ['--json', '--metadata-url', 'http://100.100.100.200:81', '--timeout', '3'] });
    assert.equal(down.exitCode, 14);
    assert.equal(stateOf(down.report, 'metadata')?.state, 'fail');
    assert.match(stateOf(down.report, 'metadata')?.detail ?? '', /ECONNREFUSED/);
    assert.equal(stateOf(down.report, 'nic:eth1')?.state, 'warn');
    assert.match(stateOf(down.report, 'nic:eth1')?.detail ?? '', /not compared with the metadata server/);
  });
});

test('as non-root, status still reports (read-only)', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await node.exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, CLI, 'status', '--json'], { ...node.cliEnv(), PATH: `${PKG}:${SYSTEMD}:${node.cliEnv().PATH}`, SIM_UNAME_R: '5.10.134-17.3.al8.x86_64', SIM_PKG_ROOT: '/nonexistent' });
    assert.ok(r.exitCode === 0 || r.exitCode === 14, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(stateOf(report, 'kernel')?.state, 'ok');
    assert.equal(stateOf(report, 'nic:eth1')?.state, 'fail');
  });
});

test('NetworkManager managing an eRDMA NIC is a warning with the unmanaged-devices fix', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const env = { SIM_SYSTEMCTL_ACTIVE: 'NetworkManager.service', SIM_NMCLI_DEVICES: 'eth0:connected eth1:connected eth2:unmanaged' };
    const r = await status(node, { smc: true, installUnit: true, env });
    const nm = stateOf(r.report, 'network-manager');
    assert.equal(nm?.state, 'warn');
    assert.equal(nm?.detail, 'NetworkManager manages eth1 and may undo setup');
    assert.match(nm?.fix ?? '', /unmanaged-devices=interface-name:eth1\\n/);
    const quiet = await status(node, { smc: true, installUnit: true, env: { ...env, SIM_NMCLI_DEVICES: 'eth0:connected eth1:unmanaged eth2:unmanaged' } });
    assert.equal(stateOf(quiet.report, 'network-manager')?.state, 'ok');
  });
});
