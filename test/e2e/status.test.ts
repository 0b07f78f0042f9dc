import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { CLI, inPrivateMounts, REPO_ROOT, type SimNode } from '../../scripts/sim/sim-node.js';
import { roundTripDepth } from '../../scripts/sim/metadata-model.js';
import { withSim } from '../helpers/sim.js';
import { sysroot, TCP_HEADER, type TreeEdit } from '../helpers/node-tree.js';

const PKG = join(REPO_ROOT, 'scripts/standins/packages');
const SYSTEMD = join(REPO_ROOT, 'scripts/standins/systemd');

interface Report {
  ready: boolean;
  failed: number;
  checks: { id: string; state: string; detail: string; fix: string | null }[];
}

const SMC_TOOLS = join(REPO_ROOT, 'scripts/standins/smc');
interface StatusOptions {
  running?: string;
  /** SMC modules, sysctls and smc-tools present. */
  smc?: boolean;
  /** Changes to the /sys and /proc tree. */
  edit?: TreeEdit;
  /** Read the namespace's real /proc and /sys instead of a tree. */
  realProc?: boolean;
  terway?: boolean;
  installUnit?: boolean;
  /** Running services (the stand-in systemctl's is-active); each gets a unit file, as a running service has. */
  active?: string[];
  env?: Record<string, string>;
  args?: string[];
}

/**
 * Runs `status` in the simulated node inside a private mount namespace: an overlay over /etc (unit files,
 * CNI config), and /sys, /proc facts from a scratch tree. Nothing leaks to this machine's /etc.
 */
async function status(node: SimNode, o: StatusOptions = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'asm-erdma-status-'));
  mkdirSync(join(scratch, 'upper'));
  mkdirSync(join(scratch, 'work'));
  if (!o.realProc)
    sysroot(
      join(scratch, 'root'),
      node.nics.map((n) => n.name),
      Boolean(o.smc),
      o.edit,
    );
  const steps = [
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${scratch}/upper,workdir=${scratch}/work /etc`,
    'mkdir -p /etc/systemd/system',
  ];
  if (o.terway) steps.push('mkdir -p /etc/cni/net.d', 'echo {} > /etc/cni/net.d/10-terway.conflist');
  if (o.installUnit) steps.push(`"${process.execPath}" "${CLI}" install-service >/dev/null 2>&1`);
  for (const unit of o.active ?? [])
    steps.push(`printf '[Service]\\nExecStart=/bin/true\\n' > /etc/systemd/system/${unit}`);
  const env = {
    ...node.cliEnv(),
    PATH: `${PKG}:${SYSTEMD}:${o.smc ? `${SMC_TOOLS}:` : ''}${node.cliEnv().PATH}`,
    SIM_UNAME_R: o.running ?? '5.10.134-17.3.al8.x86_64',
    SIM_PKG_ROOT: join(scratch, 'pkgroot'),
    ...(o.active ? { SIM_SYSTEMCTL_ACTIVE: o.active.join(' ') } : {}),
    ...(o.realProc ? {} : { ASM_ERDMA_SYSROOT: join(scratch, 'root') }),
    ...o.env,
  };
  try {
    const started = performance.now();
    const cli = [process.execPath, CLI, 'status', ...(o.args ?? ['--json'])];
    const [unshare = '', ...args] = inPrivateMounts(`${steps.join(' && ')} && exec "$@"`, cli);
    const r = await node.exec(unshare, args, env);
    const ms = performance.now() - started;
    return { ...r, ms, report: r.stdout.startsWith('{') ? (JSON.parse(r.stdout) as Report) : undefined };
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
    assert.deepEqual(stateOf(r.report, 'nic:eth1'), {
      id: 'nic:eth1',
      state: 'fail',
      detail: 'eth1 is down',
      fix: 'asm-erdma setup',
    });
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
    assert.deepEqual(
      r.report?.checks.filter((c) => c.state !== 'ok'),
      [],
    );
    assert.deepEqual(
      r.report?.checks.map((c) => c.id),
      [
        'kernel',
        'hotfix',
        'erdma-devices',
        'erdma-driver',
        'primary-nic',
        'metadata',
        'nic:eth1',
        'nic:eth2',
        'mtu',
        'rp-filter',
        'boot-unit',
        'smc-module',
        'smc-diag',
        'smc-sysctl',
        'smc-tcp2smc',
        'smc-tools',
        'smc-ports',
        'network-manager',
      ],
    );
    assert.equal(stateOf(r.report, 'erdma-driver')?.detail, 'erdma is loaded (compat_mode=N)');
    assert.match(stateOf(r.report, 'smc-tools')?.detail ?? '', /smcss is at .*scripts\/standins\/smc\/smcss$/);
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
      const r = await status(node, {
        smc: true,
        env: { PATH: `${PKG}:${SYSTEMD}:${bin}` },
        args: ['--json', '--metadata-url', 'http://100.100.100.200:81', '--timeout', '3'],
      });
      assert.equal(r.exitCode, 14, r.stderr);
      assert.match(stateOf(r.report, 'erdma-devices')?.detail ?? '', /'rdma' was not found on PATH/);
      assert.equal(stateOf(r.report, 'erdma-devices')?.state, 'fail');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const down = await status(node, {
      smc: true,
      args: ['--json', '--metadata-url', 'http://100.100.100.200:81', '--timeout', '3'],
    });
    assert.equal(down.exitCode, 14);
    assert.equal(stateOf(down.report, 'metadata')?.state, 'fail');
    assert.match(stateOf(down.report, 'metadata')?.detail ?? '', /ECONNREFUSED/);
    assert.equal(stateOf(down.report, 'nic:eth1')?.state, 'warn');
    assert.match(stateOf(down.report, 'nic:eth1')?.detail ?? '', /not compared with the metadata server/);
  });
});

test('as non-root, status still reports (read-only)', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await node.exec(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, CLI, 'status', '--json'],
      {
        ...node.cliEnv(),
        PATH: `${PKG}:${SYSTEMD}:${node.cliEnv().PATH}`,
        SIM_UNAME_R: '5.10.134-17.3.al8.x86_64',
        SIM_PKG_ROOT: '/nonexistent',
      },
    );
    assert.ok(r.exitCode === 0 || r.exitCode === 14, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(stateOf(report, 'kernel')?.state, 'ok');
    assert.equal(stateOf(report, 'nic:eth1')?.state, 'fail');
  });
});

test('NetworkManager managing an eRDMA NIC is a warning with the unmanaged-devices fix', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const env = { SIM_NMCLI_DEVICES: 'eth0:connected eth1:connected eth2:unmanaged' };
    const active = ['NetworkManager.service'];
    const r = await status(node, { smc: true, installUnit: true, active, env });
    const nm = stateOf(r.report, 'network-manager');
    assert.equal(nm?.state, 'warn');
    assert.equal(nm?.detail, 'NetworkManager manages eth1 and may undo setup');
    assert.match(nm?.fix ?? '', /unmanaged-devices=interface-name:eth1\\n/);
    const quiet = await status(node, {
      smc: true,
      installUnit: true,
      active,
      env: { SIM_NMCLI_DEVICES: 'eth0:connected eth1:unmanaged eth2:unmanaged' },
    });
    assert.equal(stateOf(quiet.report, 'network-manager')?.state, 'ok');
  });
});

test('no eRDMA NIC: status never contacts the metadata server and ends at once', async (t) => {
  await withSim(t, { nics: 1, hideDevices: true }, async (node) => {
    node.clearRequests();
    const r = await status(node, { smc: true });
    assert.equal(r.exitCode, 14, r.stderr);
    assert.equal(stateOf(r.report, 'erdma-devices')?.state, 'fail');
    assert.equal(stateOf(r.report, 'metadata')?.detail, 'not asked: no eRDMA NIC to look up');
    assert.deepEqual(node.requests(), [], 'not one request, not even the token');
    // A metadata server that never answers must not hold status either (it used to linger until the deadline).
    node.setFaults([{ match: '', kind: 'hang' }]);
    const hung = await status(node, { smc: true, args: ['--json', '--timeout', '30'] });
    assert.equal(hung.exitCode, 14, hung.stderr);
    assert.ok(hung.ms < 10_000, `status took ${Math.round(hung.ms)} ms with a 30 s deadline`);
  });
});

test("a NIC that is up without carrier fails (NO-CARRIER); an MTU unlike the primary's warns", async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    await node.exec('ip', ['link', 'set', 'peer1', 'down']);
    await node.exec('ip', ['link', 'set', 'eth2', 'mtu', '1400']);
    const r = await status(node, { smc: true, installUnit: true });
    assert.equal(r.exitCode, 14, r.stderr);
    const eth1 = stateOf(r.report, 'nic:eth1');
    assert.equal(eth1?.state, 'fail');
    assert.match(eth1?.detail ?? '', /^eth1 is up but has no carrier \(operstate LOWERLAYERDOWN, NO-CARRIER\)$/);
    assert.equal(stateOf(r.report, 'nic:eth2')?.state, 'ok');
    const mtu = stateOf(r.report, 'mtu');
    assert.deepEqual(
      [mtu?.state, mtu?.detail, mtu?.fix],
      ['warn', 'eth2 MTU 1400, but the primary eth0 has 1500', 'ip link set dev eth2 mtu 1500'],
    );
  });
});

test('several NICs to set up: one `asm-erdma setup` fix line, not one per NIC', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const r = await status(node, { smc: true, args: [] });
    assert.equal(r.exitCode, 14, r.stderr);
    assert.match(r.stdout, /^nic:eth1 +fail +eth1 is down\nnic:eth2 +fail +eth2 is down\n +fix: asm-erdma setup$/m);
    assert.equal(r.stdout.match(/fix: asm-erdma setup/g)?.length, 1);
  });
});

test("SMC pieces missing: smc_diag, tcp2smc, smc-tools, and eRDMA's ports taken, each with its fix", async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const r = await status(node, {
      smc: true,
      installUnit: true,
      env: { PATH: `${PKG}:${SYSTEMD}:${node.cliEnv().PATH}` },
      edit: (put, root) => {
        // 0.0.0.0:65500 (FFDC), state 0A: listening
        const row =
          '   0: 00000000:FFDC 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5150 1 ' +
          '0 100 0 0 10 0';
        put('proc/net/tcp', `${TCP_HEADER}${row}\n`);
        put('proc/sys/net/ipv4/conf/all/rp_filter', '1\n');
        rmSync(join(root, 'sys/module/smc_diag'), { recursive: true });
        rmSync(join(root, 'proc/sys/net/smc/tcp2smc'));
      },
    });
    assert.equal(r.exitCode, 14, r.stderr);
    const got = (id: string) => {
      const c = stateOf(r.report, id);
      return [c?.state, c?.fix];
    };
    assert.deepEqual(got('smc-diag'), ['warn', 'modprobe smc_diag']);
    assert.deepEqual(got('smc-tcp2smc'), ['fail', "asm-erdma kernel upgrade (this kernel's SMC is too old)"]);
    assert.deepEqual(got('smc-tools'), ['warn', 'yum install -y smc-tools']);
    assert.equal(stateOf(r.report, 'smc-ports')?.state, 'fail');
    assert.match(stateOf(r.report, 'smc-ports')?.detail ?? '', /0\.0\.0\.0:65500$/);
    assert.equal(stateOf(r.report, 'rp-filter')?.state, 'warn');
    assert.match(stateOf(r.report, 'rp-filter')?.fix ?? '', /^sysctl -w net\.ipv4\.conf\.all\.rp_filter=2 /);
  });
});

test('the real /proc of the node: a listener on 65501 and strict rp_filter on the eRDMA NIC are seen', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    // Both only inside the simulated node's network namespace.
    const rp = ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth1.rp_filter=1'];
    const sysctl = await node.exec('sysctl', ['-qw', ...rp]);
    assert.equal(sysctl.exitCode, 0);
    const listener = spawn(
      'ip',
      [
        'netns',
        'exec',
        node.ns,
        process.execPath,
        '-e',
        "require('net').createServer().listen(65501, '127.0.0.1', () => console.log('listening'))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        listener.stdout.once('data', () => resolve());
        listener.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
      });
      const r = await status(node, { realProc: true });
      assert.equal(stateOf(r.report, 'smc-ports')?.state, 'fail', r.stdout);
      assert.match(stateOf(r.report, 'smc-ports')?.detail ?? '', /127\.0\.0\.1:65501$/);
      const rp = stateOf(r.report, 'rp-filter');
      assert.equal(rp?.state, 'warn');
      assert.match(rp?.detail ?? '', /eth1 1 \(strict\)/);
    } finally {
      listener.kill('SIGTERM');
    }
    const after = await status(node, { realProc: true });
    assert.equal(stateOf(after.report, 'smc-ports')?.state, 'ok');
  });
});

test('eRDMA NIC in another subnet than the primary: setup configures it with a warning, status fails it', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const eth2 = node.nics[1] as SimNode['nics'][number];
    node.setNicMetadata(eth2.mac, {
      'primary-ip-address': '10.0.5.20',
      gateway: '10.0.5.253',
      'vswitch-cidr-block': '10.0.5.0/24',
    });
    const warning =
      "eth2 is in 10.0.5.0/24, not in the primary NIC eth0's subnet 192.168.0.0/24: SMC-R over eRDMA needs the " +
      "eRDMA NIC in the primary NIC's subnet and falls back to TCP otherwise; configured as the metadata server " +
      'says (asm-erdma status)';
    const json = await node.cli(['setup', '--json']);
    assert.equal(json.exitCode, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { nics: { name: string; result: string; warnings: string[] }[] };
    assert.deepEqual(
      report.nics.map((n) => [n.name, n.result, n.warnings]),
      [
        ['eth1', 'changed', []],
        ['eth2', 'changed', [warning]],
      ],
    );
    const human = await node.cli(['setup']);
    assert.equal(human.exitCode, 0, human.stderr);
    assert.equal(human.stderr.trim(), `warning: ${warning}`);
    const links = (await node.addrJson()) as { ifname: string; addr_info?: { family: string; local: string }[] }[];
    const inet = (n: string) => links.find((l) => l.ifname === n)?.addr_info?.filter((a) => a.family === 'inet');
    assert.deepEqual(
      inet('eth2')?.map((a) => a.local),
      ['10.0.5.20'],
      'configured as metadata says',
    );

    const r = await status(node, { smc: true, installUnit: true });
    assert.equal(r.exitCode, 14, r.stderr);
    assert.equal(stateOf(r.report, 'nic:eth1')?.state, 'ok');
    const check = stateOf(r.report, 'nic:eth2');
    assert.equal(check?.state, 'fail');
    assert.match(
      check?.detail ?? '',
      /^eth2 is in 10\.0\.5\.0\/24, not in the primary NIC eth0's subnet 192\.168\.0\.0\/24/,
    );
    assert.match(check?.fix ?? '', /attach an eRDMA ENI from eth0's vSwitch \(192\.168\.0\.0\/24\)/);
    assert.deepEqual(
      r.report?.checks.filter((c) => c.state !== 'ok').map((c) => c.id),
      ['nic:eth2'],
      'nothing else is blamed',
    );
  });
});
