/**
 * The Ansible role over real ssh: deploy/ansible/site.yml run by the real ansible-playbook from a control
 * namespace against 3 simulated nodes, each with its own sshd, mounts, metadata server and eRDMA NICs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { nodeRpm, SIM_KERNEL, SIM_REBOOT_OPTIONS } from '../../scripts/sim/fleet.js';
import type { Fleet, FleetNode, PlaybookResult } from '../../scripts/sim/fleet.js';
import { kernelRelease } from '../../scripts/fixtures/package-repo.js';
import { nodeState, singleNodeSetupState, withFleet } from '../helpers/fleet.js';
import { signRpm, stopKeyAgent, throwawayKey } from '../helpers/signing.js';

const NICS = 2;
const USER_DATA = join(REPO_ROOT, 'deploy/cloud-init/asm-erdma-user-data.sh');

/** Everything needed to understand a failed assertion about a run. */
const why = (r: PlaybookResult): string => `exit ${r.exitCode}\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-2000)}`;

/** The `fatal: [host]: FAILED! => {...}` lines of one host. */
function fatal(r: PlaybookResult, host: string): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith(`fatal: [${host}]`));
}

/** What one task printed (its `ok:`/`changed:`/`fatal:` lines), up to the next task or the recap. */
function taskOutput(r: PlaybookResult, task: string): string {
  return r.stdout.split(`TASK [asm_erdma : ${task}]`)[1]?.split(/\n(?:TASK \[|PLAY RECAP)/)[0] ?? '';
}

async function assertLikeSingleNodeSetup(fleet: Fleet): Promise<void> {
  const expected = await singleNodeSetupState(NICS);
  for (const node of fleet.nodes) assert.deepEqual(await nodeState(node), expected, `${node.name}'s kernel state`);
}

test('fleet: site.yml over ssh configures 3 nodes like setup does, is idempotent, fails one node alone', async (t) => {
  await withFleet(t, { nodes: 3, nics: NICS }, async (fleet) => {
    // 0. --check --diff on fresh nodes: nothing is installed or changed, no host fails, setup says it would change.
    const pristine = await nodeState(fleet.nodes[0] as FleetNode);
    const fresh = await fleet.playbook({ check: true, diff: true });
    assert.equal(fresh.exitCode, 0, why(fresh));
    for (const [host, recap] of fresh.recap)
      assert.equal(recap.failed + recap.unreachable, 0, `${host}: ${why(fresh)}`);
    const freshSetup = taskOutput(fresh, 'Run asm-erdma setup');
    assert.match(freshSetup, /^changed: \[node1\]/m, why(fresh));
    assert.match(freshSetup, /^check mode: \/usr\/local\/bin\/asm-erdma is not installed yet .*; setup not run$/m);
    for (const node of fleet.nodes) {
      assert.deepEqual(await nodeState(node), pristine, `${node.name} unchanged by check mode`);
      assert.notEqual((await node.shell('test -e /usr/local/bin/asm-erdma')).exitCode, 0, 'nothing copied');
    }

    // 1. First run: binary mode (the standalone binary), every node ends where a single-node setup ends; the
    //    metrics timer is installed too (asm_erdma_metrics).
    const metrics = { groupVars: { asm_erdma_metrics: true } };
    const first = await fleet.playbook(metrics);
    assert.equal(first.exitCode, 0, why(first));
    assert.deepEqual([...first.recap.keys()].sort(), ['node1', 'node2', 'node3'], why(first));
    for (const [host, recap] of first.recap) {
      assert.equal(recap.failed + recap.unreachable, 0, `${host}: ${why(first)}`);
      assert.ok(recap.changed >= 3, `${host} changed binary, NICs and unit: ${why(first)}`);
    }
    const upgradePlay = /PLAY \[Rolling kernel upgrade.*\n(.*\n)?skipping: no hosts matched/;
    assert.match(first.stdout, upgradePlay, 'no kernel upgrade asked, none run');
    await assertLikeSingleNodeSetup(fleet);
    for (const node of fleet.nodes) {
      const calls = node.systemctlCalls();
      assert.ok(calls.includes('enable asm-erdma.service'), `${node.name}: ${calls.join('; ')}`);
      assert.ok(calls.includes('enable asm-erdma-metrics.timer'), `${node.name}: ${calls.join('; ')}`);
      const service = await node.shell('cat /etc/systemd/system/asm-erdma-metrics.service');
      assert.match(
        service.stdout,
        /^ExecStart=\/usr\/local\/bin\/asm-erdma metrics --textfile \/var\/lib\/node_exporter\/textfile_collector$/m,
      );
      const unit = await node.shell('cat /etc/systemd/system/asm-erdma.service && test -x /usr/local/bin/asm-erdma');
      assert.equal(unit.exitCode, 0, unit.stderr);
      assert.match(
        unit.stdout,
        /^ExecStart=\/usr\/local\/bin\/asm-erdma setup --wait --timeout 120$/m,
        'the standalone binary, once',
      );
      assert.ok(!existsSync(join(node.sim.dir, 'reboot.log')), `${node.name} was not rebooted`);
    }
    assert.ok(!existsSync('/etc/systemd/system/asm-erdma.service'), "the nodes' units stayed in their own mounts");

    // 2. Second run: nothing to do anywhere.
    const second = await fleet.playbook(metrics);
    assert.equal(second.exitCode, 0, why(second));
    for (const node of fleet.nodes) {
      const recap = second.recap.get(node.name);
      assert.ok(recap, why(second));
      assert.equal(recap.changed, 0, `${node.name} changed nothing: ${why(second)}`);
      assert.equal(recap.failed, 0, why(second));
    }

    // 3. One run, three outcomes: node1 fine ('none' install mode), node2 configured only on eth1 so the gate
    //    finds eth2 down, node3's metadata server answers 404 so its setup fails and changes nothing.
    const [node1, node2, node3] = fleet.nodes as [FleetNode, FleetNode, FleetNode];
    for (const [node, args] of [
      [node2, '-i eth2'],
      [node3, ''],
    ] as const) {
      const reset = await node.shell(`/usr/local/bin/asm-erdma reset ${args}`);
      assert.equal(reset.exitCode, 0, reset.stderr);
    }
    // --check --diff on installed nodes whose NICs are down: setup's --dry-run plan is the diff, the gate does not
    // hold against them what the run itself would fix, and nothing changes.
    const installedVars = { asm_erdma_install: 'none', asm_erdma_command: '/usr/local/bin/asm-erdma' };
    const before = await nodeState(node3);
    const planned = await fleet.playbook({ check: true, diff: true, groupVars: installedVars, limit: 'node2,node3' });
    assert.equal(planned.exitCode, 0, why(planned));
    for (const [host, recap] of planned.recap) {
      assert.equal(recap.failed + recap.unreachable, 0, `${host}: ${why(planned)}`);
    }
    const setupTask = taskOutput(planned, 'Run asm-erdma setup');
    assert.match(setupTask, /^changed: \[node3\]/m, why(planned));
    assert.match(setupTask, /^eth1: ip link set dev eth1 up$/m, `the plan is the diff: ${why(planned)}`);
    assert.match(setupTask, /^eth2: ip addr add 192\.168\.0\.12\/24 dev eth2 metric 101$/m, why(planned));
    assert.match(taskOutput(planned, 'Run asm-erdma status (readiness gate)'), /^ok: \[node3\]$/m, why(planned));
    assert.deepEqual(await nodeState(node3), before, 'check mode changed nothing');
    node3.sim.setFaults([{ match: 'primary-ip-address', kind: 'status', status: 404 }]);
    const mixed = await fleet.playbook({
      extraVars: { asm_erdma_max_fail_percentage: 70 },
      groupVars: { asm_erdma_install: 'none', asm_erdma_command: '/usr/local/bin/asm-erdma' },
      hostVars: { node2: { asm_erdma_interfaces: ['eth1'] } },
    });
    assert.notEqual(mixed.exitCode, 0, why(mixed));
    const ok = mixed.recap.get('node1');
    assert.deepEqual([ok?.changed, ok?.unreachable, ok?.failed], [0, 0, 0], `node1 completes: ${why(mixed)}`);
    assert.equal(mixed.recap.get('node2')?.failed, 1, why(mixed));
    assert.equal(mixed.recap.get('node3')?.failed, 1, why(mixed));
    const gate = fatal(mixed, 'node2');
    assert.equal(gate.length, 1, why(mixed));
    const notReady = 'not ready for SMC over eRDMA: nic:eth2 (eth2 is down; fix: asm-erdma setup -i eth2)';
    assert.ok((gate[0] as string).includes(`"msg": "${notReady}"`), gate[0]);
    assert.doesNotMatch(gate[0] as string, /smc-module/, 'asm_erdma_gate_ignore is honoured');
    const meta = fatal(mixed, 'node3');
    assert.equal(meta.length, 1, why(mixed));
    assert.match(
      meta[0] as string,
      new RegExp(
        '"msg": "asm-erdma setup failed \\(exit 5\\): eth\\d: metadata has no primary-ip-address ' +
          '\\(HTTP 404 for [^)]*\\); nothing was changed \\(is this NIC an ENI of this instance\\?\\)"',
      ),
    );
    const node3State = await nodeState(node3);
    for (const nic of ['eth1', 'eth2']) {
      assert.deepEqual(node3State.links[nic], { up: false, ipv4: [] }, `node3 ${nic} untouched`);
    }
    const gateTask = taskOutput(mixed, 'Run asm-erdma status (readiness gate)');
    assert.match(gateTask, /^ok: \[node1\]$/m, `node1 passed the gate: ${why(mixed)}`);
    assert.equal((await node1.shell('ip -br -4 addr show eth1')).stdout.includes('192.168.0.11/24'), true);
  });
});

/** The fixture RPM is installed in the node's own rpm database (its overlay), and only there. */
async function assertRpmInstalled(node: FleetNode): Promise<void> {
  const q = await node.shell('/usr/bin/rpm -q asm-erdma && test -x /usr/bin/asm-erdma');
  assert.equal(q.exitCode, 0, `${node.name}: ${q.stdout} ${q.stderr}`);
  assert.equal(q.stdout.trim(), 'asm-erdma-0.1.0-1.al8.noarch');
  assert.ok(!existsSync('/usr/bin/asm-erdma'), 'the RPM stayed in the node');
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

test('fleet: cloud-init user data checks the RPM; installs it, the unit and the metrics timer', async (t) => {
  await withFleet(t, { nodes: 1, nics: NICS, nodeRpmDb: true }, async (fleet) => {
    const node = fleet.nodes[0];
    assert.ok(node);
    const journal = join(node.sim.dir, 'journal.log');
    const rpm = nodeRpm(fleet.dir);
    // A checksum that is not this file's: refused before dnf, with a logged line, nothing installed, no retry.
    const wrong = '0'.repeat(64);
    const refused = await node.shell(`bash ${USER_DATA}`, { ASM_ERDMA_RPM: rpm, ASM_ERDMA_RPM_SHA256: wrong });
    assert.equal(refused.exitCode, 1, `${refused.stdout}\n${refused.stderr}`);
    assert.equal(
      refused.stderr.trim(),
      `asm-erdma user-data: refusing ${rpm}: its sha256 is ${sha256(rpm)}, not ASM_ERDMA_RPM_SHA256=${wrong}`,
    );
    assert.equal((await node.shell('/usr/bin/rpm -q asm-erdma')).exitCode, 1, 'not installed');

    // node_exporter's textfile directory (the node's own /var/lib overlay), as its package creates it.
    const textfiles = '/var/lib/node_exporter/textfile_collector';
    assert.equal((await node.shell(`mkdir -p ${textfiles}`)).exitCode, 0);
    // Signed with the release key, checksum right: rpm --import, then dnf with localpkg_gpgcheck=1.
    const key = await throwawayKey(fleet.dir);
    let r: Awaited<ReturnType<typeof node.shell>>;
    try {
      // The right checksum but no signature, with a key to check it against: dnf refuses, and that is final
      // (one dnf run, no retries), one line saying why; nothing installed.
      const unsigned = await node.shell(`bash ${USER_DATA}`, {
        ASM_ERDMA_RPM: rpm,
        ASM_ERDMA_RPM_SHA256: sha256(rpm),
        ASM_ERDMA_RPM_GPG_KEY: key.pub,
      });
      assert.equal(unsigned.exitCode, 1, `${unsigned.stdout}\n${unsigned.stderr}`);
      const ours = unsigned.stderr.split('\n').filter((l) => l.startsWith('asm-erdma user-data: '));
      assert.deepEqual(ours, [
        `asm-erdma user-data: refusing ${rpm}: dnf rejected its signature (is ASM_ERDMA_RPM_GPG_KEY the key it ` +
          'was signed with?)',
      ]);
      assert.match(unsigned.stderr, /GPG check FAILED|is not signed/, 'dnf said why');
      assert.equal((await node.shell('/usr/bin/rpm -q asm-erdma')).exitCode, 1, 'not installed');
      const signed = join(fleet.dir, 'signed', 'asm-erdma-0.1.0-1.al8.noarch.rpm');
      mkdirSync(join(fleet.dir, 'signed'));
      copyFileSync(rpm, signed);
      assert.equal((await signRpm(key, signed)).exitCode, 0);
      // The real dnf installs the fixture RPM (nodeRpm()); the recording systemctl runs the unit on start.
      r = await node.shell(`bash ${USER_DATA}`, {
        ASM_ERDMA_RPM: signed,
        ASM_ERDMA_RPM_SHA256: sha256(signed).toUpperCase(),
        ASM_ERDMA_RPM_GPG_KEY: key.pub,
        ASM_ERDMA_METRICS: '1',
        SIM_SYSTEMCTL_RUN_UNITS: '1',
        SIM_SYSTEMCTL_JOURNAL: journal,
      });
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /not verifying/);
    } finally {
      await stopKeyAgent(fleet.dir);
    }
    await assertRpmInstalled(node);
    const keys = await node.shell("/usr/bin/rpm -q gpg-pubkey --qf '%{SUMMARY}\\n'");
    assert.match(keys.stdout, /asm-erdma test signing key/, 'the key went into the rpm database dnf checked');
    const calls = node.systemctlCalls();
    const unitCalls = calls.filter((c) => c.endsWith(' asm-erdma.service') && !c.startsWith('is-'));
    assert.deepEqual(unitCalls, ['enable asm-erdma.service', 'restart asm-erdma.service']);
    const timerCalls = calls.filter((c) => c.endsWith(' asm-erdma-metrics.timer') && !c.startsWith('is-'));
    assert.deepEqual(timerCalls, ['enable asm-erdma-metrics.timer', 'start asm-erdma-metrics.timer']);
    // What the timer starts: the metrics service writes the textfile; both NICs read as configured.
    const run = await node.shell('systemctl start asm-erdma-metrics.service', {
      SIM_SYSTEMCTL_RUN_UNITS: '1',
      SIM_SYSTEMCTL_JOURNAL: journal,
    });
    assert.equal(run.exitCode, 0, run.stderr);
    const prom = await node.shell(`cat ${textfiles}/asm_erdma.prom`);
    assert.match(prom.stdout, /^asm_erdma_nic_configured\{ifname="eth1",mac="[0-9a-f:]+"\} 1$/m, prom.stdout);
    assert.match(prom.stdout, /^asm_erdma_nic_configured\{ifname="eth2",mac="[0-9a-f:]+"\} 1$/m, prom.stdout);
    assert.match(readFileSync(journal, 'utf8'), /configured 2 of 2 eRDMA NIC\(s\)/);
    const unit = await node.shell('cat /etc/systemd/system/asm-erdma.service');
    // The RPM's CLI named where the RPM put it (a lasting place), wherever this checkout is.
    const execStart = `ExecStart=${realpathSync(process.execPath)} /usr/lib/asm-erdma/bin/asm-erdma.js setup --wait`;
    assert.match(unit.stdout, new RegExp(`^${execStart} --timeout 120$`, 'm'));
    assert.match(r.stdout, /^nic:eth1 +ok /m, 'status printed into the log');
    assert.deepEqual(await nodeState(node), await singleNodeSetupState(NICS));
  });
});

test('fleet: cloud-init on a 16.3 node whose hotfix is in no repository configures all, then exits 12', async (t) => {
  const kernels = [kernelRelease('16.3')];
  await withFleet(t, { nodes: 1, nics: NICS, kernels, packages: true, withoutHotfix: true }, async (fleet) => {
    const node = fleet.nodes[0];
    assert.ok(node);
    const journal = join(node.sim.dir, 'journal.log');
    const r = await node.shell(`bash ${USER_DATA}`, {
      ASM_ERDMA_RPM: nodeRpm(fleet.dir),
      SIM_SYSTEMCTL_RUN_UNITS: '1',
      SIM_SYSTEMCTL_JOURNAL: journal,
      // This machine's syslog is not the node's: the stderr lines (cloud-init-output.log) are what is checked.
      ASM_ERDMA_SYSLOG: '0',
    });
    const output = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.exitCode, 12, output);
    assert.match(r.stderr, /^error: kernel-hotfix-16664924-5\.10\.134-16\.3 is not in any enabled repository/m, output);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`^asm-erdma user-data: FAILED \(exit 12\): asm-erdma hotfix --yes; ` +
          'the NICs and the boot unit are configured regardless$',
        'm',
      ),
    );
    assert.match(
      r.stderr.trim().split('\n').at(-1) ?? '',
      /^asm-erdma user-data: finished with 1 failed step\(s\): asm-erdma hotfix --yes; .*exit 12$/,
    );
    // Everything after the hotfix still ran: the unit written, enabled and started (setup ran), status printed.
    const unitCalls = node.systemctlCalls().filter((c) => c.endsWith(' asm-erdma.service') && !c.startsWith('is-'));
    assert.deepEqual(unitCalls, ['enable asm-erdma.service', 'restart asm-erdma.service']);
    assert.match(readFileSync(journal, 'utf8'), /configured 2 of 2 eRDMA NIC\(s\)/);
    assert.match(r.stdout, /^hotfix +fail /m, 'status printed, naming the missing hotfix');
    assert.deepEqual(await nodeState(node), await singleNodeSetupState(NICS));
  });
});

test('fleet: rpm mode + kernel upgrade: dnf installs the RPM; nodes drained and rebooted one at a time', async (t) => {
  const old = kernelRelease('16.2');
  await withFleet(t, { nodes: 3, nics: NICS, kernels: [old, old, SIM_KERNEL], packages: true }, async (fleet) => {
    const hooks = join(fleet.dir, 'hooks.log');
    const r = await fleet.playbook({
      groupVars: { asm_erdma_install: 'rpm', asm_erdma_rpm_src: nodeRpm(fleet.dir) },
      extraVars: {
        asm_erdma_kernel_upgrade: true,
        asm_erdma_reboot_options: SIM_REBOOT_OPTIONS,
        asm_erdma_drain_command: `echo "drain {{ inventory_hostname }}" >> ${hooks}`,
        asm_erdma_uncordon_command: `echo "uncordon {{ inventory_hostname }}" >> ${hooks}`,
      },
    });
    assert.equal(r.exitCode, 0, why(r));
    for (const [host, recap] of r.recap) assert.equal(recap.failed + recap.unreachable, 0, `${host}: ${why(r)}`);
    const dnfTask = taskOutput(r, 'Install the asm-erdma RPM with dnf');
    for (const node of fleet.nodes) {
      assert.match(dnfTask, new RegExp(`^changed: \\[${node.name}\\]$`, 'm'), why(r));
      await assertRpmInstalled(node);
    }
    // One node at a time: node1 is back and uncordoned before node2 is drained; node3 (17.3) is left alone.
    const order = readFileSync(hooks, 'utf8').trim().split('\n');
    assert.deepEqual(order, ['drain node1', 'uncordon node1', 'drain node2', 'uncordon node2']);
    for (const node of fleet.nodes) {
      const rebooted = node.name !== 'node3';
      const log = join(node.sim.dir, 'reboot.log');
      const reboots = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      assert.deepEqual(reboots, rebooted ? ['reboot now'] : [], node.name);
      const uname = await node.shell('uname -r');
      assert.equal(uname.stdout.trim(), rebooted ? kernelRelease('18') : SIM_KERNEL, node.name);
    }
    await assertLikeSingleNodeSetup(fleet);
  });
});

/**
 * A web server for `dir` in the fleet's control namespace, on the node's management link (198.18.1.1), as a yum
 * repository host would be. Resolves with its base URL once it listens; stop() ends it (by its pid).
 */
async function serveDir(ctl: string, dir: string): Promise<{ url: string; stop: () => void }> {
  const args = ['netns', 'exec', ctl, 'python3', '-u', '-m', 'http.server', '0', '--bind', '198.18.1.1'];
  const child = spawn('ip', [...args, '--directory', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(/port (\d+)/.exec(d.toString())?.[1] ?? ''));
    child.once('exit', (code) => reject(new Error(`http.server exited ${code}`)));
  });
  return { url: `http://198.18.1.1:${port}`, stop: () => child.kill('SIGTERM') };
}

test('fleet: rpm mode: a wrong sha256 fails the host, no key: dnf refuses; key + sha256 install', async (t) => {
  await withFleet(t, { nodes: 1, nics: NICS, nodeRpmDb: true }, async (fleet) => {
    const node = fleet.nodes[0];
    assert.ok(node);
    const key = await throwawayKey(fleet.dir);
    mkdirSync(join(fleet.dir, 'signed'));
    const server = await serveDir(fleet.ctl, join(fleet.dir, 'signed'));
    try {
      const rpm = join(fleet.dir, 'signed', 'asm-erdma-0.1.0-1.al8.noarch.rpm');
      copyFileSync(nodeRpm(fleet.dir), rpm);
      assert.equal((await signRpm(key, rpm)).exitCode, 0);
      const fileMode = { asm_erdma_install: 'rpm', asm_erdma_rpm_src: rpm };
      const urlMode = { asm_erdma_install: 'rpm', asm_erdma_rpm_src: `${server.url}/${basename(rpm)}` };
      const verified = { asm_erdma_rpm_gpg_key: key.pub, asm_erdma_rpm_sha256: sha256(rpm) };
      const notInstalled = async () =>
        assert.equal((await node.shell('/usr/bin/rpm -q asm-erdma')).exitCode, 1, 'asm-erdma is not installed');

      // 1. A file whose sha256 is not the one given: the host fails before dnf.
      const wrong = 'ab'.repeat(32);
      const bad = await fleet.playbook({ groupVars: { ...fileMode, asm_erdma_rpm_sha256: wrong } });
      assert.notEqual(bad.exitCode, 0, why(bad));
      const [badLine] = fatal(bad, 'node1');
      assert.ok(badLine?.includes(`has sha256 ${sha256(rpm)}`), why(bad));
      assert.ok(badLine?.includes(`not asm_erdma_rpm_sha256 ${wrong}: not installing it`), why(bad));
      assert.ok(!bad.stdout.includes('TASK [asm_erdma : Install the asm-erdma RPM with dnf]'), 'dnf never ran');
      await notInstalled();

      // 2. gpgcheck on, the key neither given nor in the rpm database: dnf refuses the signed RPM.
      const noKey = await fleet.playbook({ groupVars: { ...fileMode, asm_erdma_rpm_gpg_check: true } });
      assert.notEqual(noKey.exitCode, 0, why(noKey));
      assert.match(fatal(noKey, 'node1')[0] ?? '', /GPG signature|public key .* is not installed/i, why(noKey));
      await notInstalled();

      // 3. A URL whose download has another sha256: get_url refuses it.
      const badUrl = await fleet.playbook({ groupVars: { ...urlMode, asm_erdma_rpm_sha256: wrong } });
      assert.notEqual(badUrl.exitCode, 0, why(badUrl));
      assert.match(
        taskOutput(badUrl, 'Download the asm-erdma RPM and check its sha256'),
        /^fatal: \[node1\].*checksum/im,
      );
      await notInstalled();

      // 4. The URL with the key and the right sha256: the key imported, the download checked, dnf checks the signature.
      const goodUrl = await fleet.playbook({ groupVars: { ...urlMode, ...verified } });
      assert.equal(goodUrl.exitCode, 0, why(goodUrl));
      const imported = taskOutput(goodUrl, 'Import the asm-erdma release key into the rpm database');
      assert.match(imported, /^changed: \[node1\]$/m, why(goodUrl));
      assert.match(taskOutput(goodUrl, 'Install the asm-erdma RPM with dnf'), /^changed: \[node1\]$/m, why(goodUrl));
      await assertRpmInstalled(node);

      // 5. The control-node file, verified the same way, after an erase.
      assert.equal((await node.shell('/usr/bin/rpm -e asm-erdma')).exitCode, 0);
      await notInstalled();
      const good = await fleet.playbook({ groupVars: { ...fileMode, ...verified } });
      assert.equal(good.exitCode, 0, why(good));
      assert.match(taskOutput(good, 'Install the asm-erdma RPM with dnf'), /^changed: \[node1\]$/m, why(good));
      await assertRpmInstalled(node);
    } finally {
      server.stop();
      await stopKeyAgent(fleet.dir);
    }
  });
});
