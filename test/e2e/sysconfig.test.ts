/** /etc/sysconfig/asm-erdma (moved by ASM_ERDMA_SYSCONFIG): defaults the CLI reads itself; flags override them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { runCli } from '../helpers/cli.js';
import { withPackageNode } from '../helpers/packages.js';
import { kernelState, ipv4Of, prerequisite, withSim } from '../helpers/sim.js';

const KNOWN =
  'known keys: ASM_ERDMA_METADATA_URL, ASM_ERDMA_INTERFACES, ASM_ERDMA_MIN_KERNEL, ASM_ERDMA_TIMEOUT, ASM_ERDMA_SETTLE';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-sysconfig-'));
  return dir;
}

test('ASM_ERDMA_MIN_KERNEL sets the minimum of kernel check/list/upgrade and status; --min overrides it', async (t) => {
  const dir = scratch();
  try {
    const file = join(dir, 'asm-erdma');
    writeFileSync(file, '# newer ASM wants 17.3\nASM_ERDMA_MIN_KERNEL="5.10.134-17.3"\n');
    await withPackageNode(t, { running: '17.1' }, async (node) => {
      const env = { ASM_ERDMA_SYSCONFIG: file };
      const check = await node.run(['kernel', 'check'], { env });
      assert.equal(check.exitCode, 10, check.stderr);
      assert.equal(
        check.stdout,
        'running kernel 5.10.134-17.1.al8.x86_64 is below the minimum 5.10.134-17.3\nupgrade it: asm-erdma ' +
          'kernel upgrade --min 5.10.134-17.3',
      );
      const flag = await node.run(['kernel', 'check', '--min', '5.10.134-16.3'], { env });
      assert.equal(flag.exitCode, 0, flag.stderr);
      const list = await node.run(['kernel', 'list', '--json'], { env });
      assert.equal((JSON.parse(list.stdout) as { minimum: string }).minimum, '5.10.134-17.3');
      const upgrade = await node.run(['kernel', 'upgrade', '--dry-run', '--json'], { env });
      assert.equal((JSON.parse(upgrade.stdout) as { target: string }).target, '5.10.134-18.al8.x86_64');
      // Without the file the built-in default applies again.
      assert.equal((await node.run(['kernel', 'check'])).exitCode, 0);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown key or a bad value is one line naming file and line, exit 2; an unreadable file too', async (t) => {
  const dir = scratch();
  try {
    const file = join(dir, 'asm-erdma');
    await withPackageNode(t, { running: '17.1' }, async (node) => {
      const env = { ASM_ERDMA_SYSCONFIG: file };
      writeFileSync(file, '# defaults\n\nASM_ERDMA_TIMOUT=60\n');
      const typo = await node.run(['kernel', 'check'], { env });
      assert.equal(typo.exitCode, 2);
      assert.equal(typo.stderr, `error: ${file} line 3: unknown key ASM_ERDMA_TIMOUT (${KNOWN})`);
      assert.equal(typo.stdout, '');
      writeFileSync(file, 'ASM_ERDMA_MIN_KERNEL=5.10.134-17.3\nASM_ERDMA_TIMEOUT=soon\n');
      const bad = await node.run(['kernel', 'check', '--json'], { env });
      assert.equal(bad.exitCode, 2);
      assert.equal(
        bad.stderr,
        `error: ${file} line 2: ASM_ERDMA_TIMEOUT: must be a number of seconds above 0 and at most 3600 (e.g. 120)`,
      );
      assert.equal((JSON.parse(bad.stdout) as { error: { code: number } }).error.code, 2);
      // A command that uses none of the keys (uninstall-service runs from the RPM's %preun) is not stopped by it.
      const root = join(dir, 'image');
      mkdirSync(root);
      const un = await runCli(['uninstall-service', '--root', root], { env });
      assert.equal(un.exitCode, 0, un.stderr);
      // Help is never stopped by it either.
      assert.equal((await node.run(['kernel', 'check', '--help'], { env })).exitCode, 0);
      if (process.getuid?.() !== 0) return;
      writeFileSync(file, 'ASM_ERDMA_TIMEOUT=60\n', { mode: 0o600 });
      const unreadable = await node.run(['kernel', 'check'], { env, asUser: 65534 });
      assert.equal(unreadable.exitCode, 2);
      assert.equal(
        unreadable.stderr,
        `error: cannot read ${file}: EACCES (make it readable (chmod 644), or run as root)`,
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setup reads interfaces, metadata URL, timeout (and accepts settle); flags override each', async (t) => {
  await withSim(t, { nics: 2, faults: [{ match: '00:01/gateway', kind: 'hang' }] }, async (node) => {
    const file = join(node.dir, 'asm-erdma');
    const env = { ASM_ERDMA_SYSCONFIG: file };
    writeFileSync(
      file,
      [
        '# written once by the operator',
        'ASM_ERDMA_INTERFACES="eth2"',
        "ASM_ERDMA_TIMEOUT='2'",
        'ASM_ERDMA_SETTLE=1',
        '',
      ].join('\n'),
    );
    // Only eth2: the server that never answers for eth1 is never asked.
    const only = await node.cli(['setup', '--json'], env);
    assert.equal(only.exitCode, 0, only.stderr);
    assert.deepEqual(
      (JSON.parse(only.stdout) as { nics: { name: string }[] }).nics.map((n) => n.name),
      ['eth2'],
    );
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), []);
    assert.deepEqual(ipv4Of(await kernelState(node), 'eth2'), ['192.168.0.12/24 metric 101 global']);
    // -i overrides the file's interfaces; the file's 2 s timeout ends the wait for the silent server.
    const started = Date.now();
    const flagged = await node.cli(['setup', '-i', 'eth1'], env);
    assert.equal(flagged.exitCode, 5, flagged.stderr);
    assert.match(flagged.stderr, /^error: eth1: no answer for .*gateway within the 2 s deadline/);
    assert.ok(Date.now() - started < 8000, "the file's timeout ended the run");
    // --timeout overrides the file's.
    const longer = await node.cli(['setup', '-i', 'eth1', '--timeout', '3'], env);
    assert.match(longer.stderr, /within the 3 s deadline/);

    writeFileSync(file, 'ASM_ERDMA_METADATA_URL=http://100.100.100.200:81\n');
    const refused = await node.cli(['reset', '--all', '-i', 'eth2'], env);
    assert.equal(refused.exitCode, 0, refused.stderr);
    const down = await node.cli(['setup', '-i', 'eth2'], env);
    assert.equal(down.exitCode, 5);
    assert.match(down.stderr, /ECONNREFUSED/);
    const flag = await node.cli(['setup', '-i', 'eth2', '--metadata-url', 'http://100.100.100.200'], env);
    assert.equal(flag.exitCode, 0, flag.stderr);

    writeFileSync(file, 'ASM_ERDMA_INTERFACES=eth1\nASM_ERDMA_SETTLE=later\n');
    const before = await kernelState(node);
    const bad = await node.cli(['setup'], env);
    assert.equal(bad.exitCode, 2);
    assert.equal(
      bad.stderr,
      `error: ${file} line 2: ASM_ERDMA_SETTLE: must be a number of seconds from 0 to 3600 (e.g. 2)`,
    );
    assert.deepEqual(await kernelState(node), before, 'nothing changed');
  });
});

test('install-service: the unit uses EnvironmentFile=, bakes no defaults; TimeoutStartSec follows it', async (t) => {
  const ok = (await execa('systemd-analyze', ['--version'], { reject: false })).exitCode === 0;
  if (!prerequisite(t, ok ? undefined : 'systemd-analyze is not installed')) return;
  const root = scratch();
  try {
    const unitPath = join(root, 'etc/systemd/system/asm-erdma.service');
    mkdirSync(join(root, 'etc/sysconfig'), { recursive: true });
    // The image's own file counts under --root (not this machine's or ASM_ERDMA_SYSCONFIG's).
    writeFileSync(join(root, 'etc/sysconfig/asm-erdma'), 'ASM_ERDMA_TIMEOUT=200\nASM_ERDMA_INTERFACES="eth1 eth2"\n');
    // The unit's executable must exist inside the image; the host's node path also satisfies verify below.
    mkdirSync(join(root, dirname(process.execPath)), { recursive: true });
    writeFileSync(join(root, process.execPath), '', { mode: 0o755 });
    const exec = ['--exec', process.execPath];
    const r = await runCli(['install-service', '--root', root, ...exec], {
      env: { ASM_ERDMA_SYSCONFIG: join(root, 'missing') },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const unit = readFileSync(unitPath, 'utf8');
    assert.match(unit, /^EnvironmentFile=-\/etc\/sysconfig\/asm-erdma$/m);
    assert.match(unit, / setup --wait$/m, 'no interfaces, URL or timeout in ExecStart');
    assert.match(unit, /^TimeoutStartSec=230$/m);
    const v = await execa('systemd-analyze', ['verify', unitPath], { reject: false });
    assert.equal(
      String(v.stderr)
        .split('\n')
        .filter((l) => l && !/multi-user.target/.test(l))
        .join('\n'),
      '',
    );
    // Flags given to install-service are written into ExecStart (they override the file at boot).
    const flags = await runCli(['install-service', '--root', root, ...exec, '--timeout', '60', '-i', 'eth1']);
    assert.equal(flags.exitCode, 0, flags.stderr);
    assert.match(readFileSync(unitPath, 'utf8'), / setup --wait --timeout 60 --interface eth1\nTimeoutStartSec=90\n/);
    writeFileSync(join(root, 'etc/sysconfig/asm-erdma'), 'ASM_ERDMA_TIMEOUT=forever\n');
    const bad = await runCli(['install-service', '--root', root, ...exec]);
    assert.equal(bad.exitCode, 2);
    assert.match(
      bad.stderr,
      /^error: .*\/etc\/sysconfig\/asm-erdma line 1: ASM_ERDMA_TIMEOUT: must be a number of seconds/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
