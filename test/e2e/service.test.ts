import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { copyCli } from '../../scripts/sim/cli-copy.js';
import { volatileReason } from '../../src/core/exec-path.js';
import { CLI_IN_IMAGE, imageWithCli, runCli } from '../helpers/cli.js';
import { prerequisite, requireRoot } from '../helpers/sim.js';

const UNIT = 'etc/systemd/system/asm-erdma.service';
const WANTS = 'etc/systemd/system/multi-user.target.wants/asm-erdma.service';
const LEGACY = 'etc/systemd/system/asm_erdma_eth_config.service';
const HOTPLUG = 'etc/systemd/system/asm-erdma-hotplug@.service';
const RULE = 'etc/udev/rules.d/90-asm-erdma.rules';
const STANDIN = join(REPO_ROOT, 'scripts/standins/systemd');

async function systemdTools(t: import('node:test').TestContext): Promise<boolean> {
  const ok =
    (await execa('systemd-analyze', ['--version'], { reject: false })).exitCode === 0 &&
    (await execa('systemctl', ['--version'], { reject: false })).exitCode === 0;
  return prerequisite(t, ok ? undefined : 'systemd (systemctl, systemd-analyze) is not installed');
}

function scratchRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-root-'));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Where the image's asm-erdma is, for every test whose subject is not how the CLI names itself: the checkout
 * this test runs from may be anywhere (under /tmp, in a home directory), where install-service rightly refuses
 * to name it in ExecStart unless told --exec.
 */
const EXEC = '/usr/bin/asm-erdma';
const IN_IMAGE = ['--exec', EXEC];
/** The same on this node (the live tests): the checkout's launcher, which exists here wherever it is. */
const ON_NODE = ['--exec', CLI];

/** What install-service --root requires: the image holds the binary its ExecStart names. */
function imageRoot(): string {
  const dir = scratchRoot();
  mkdirSync(join(dir, dirname(EXEC)), { recursive: true });
  writeFileSync(join(dir, EXEC), '', { mode: 0o755 });
  return dir;
}

/** A fresh image root (or scratch dir) for the body, removed afterwards. */
async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = imageRoot();
  try {
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** For the tests of the default ExecStart: an image holding Node and this build's CLI; the body runs that copy. */
async function withImageCli(body: (root: string, cli: string) => Promise<void>): Promise<void> {
  const root = scratchRoot();
  try {
    await body(root, imageWithCli(root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function verify(path: string): Promise<{ exitCode: number; stderr: string }> {
  const r = await execa('systemd-analyze', ['verify', path], { reject: false });
  // Outside a booted system verify notes that multi-user.target does not exist; that is not about our unit.
  const stderr = String(r.stderr)
    .split('\n')
    .filter((l) => l && !/non-existent unit multi-user.target/.test(l))
    .join('\n');
  return { exitCode: r.exitCode ?? 1, stderr };
}

test('install-service --root: a unit systemd-analyze accepts, enabled by the real systemctl --root', async (t) => {
  if (!(await systemdTools(t))) return;
  await withImageCli(async (root, cli) => {
    const r = await runCli(['install-service', '--root', root, '--json'], { cli });
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { unitFile: string; changes: string[] };
    assert.equal(report.unitFile, 'created');
    assert.deepEqual(report.changes, [
      `write ${root}/${UNIT} (mode 0644)`,
      `write ${root}/${HOTPLUG} (mode 0644)`,
      `write ${root}/${RULE} (mode 0644)`,
      `systemctl --root=${root} enable asm-erdma.service`,
    ]);
    assert.equal(statSync(join(root, UNIT)).mode & 0o777, 0o644);
    assert.equal(readlinkSync(join(root, WANTS)), '/etc/systemd/system/asm-erdma.service');
    const unit = readFileSync(join(root, UNIT), 'utf8');
    // How the CLI runs now, its script named by its path inside the image. The operator's defaults come from the
    // sysconfig file at boot, not from values baked into ExecStart.
    const node = realpathSync(process.execPath);
    assert.match(unit, new RegExp(`^ExecStart=${node} ${CLI_IN_IMAGE} setup --wait$`, 'm'));
    assert.match(unit, /^EnvironmentFile=-\/etc\/sysconfig\/asm-erdma$/m);
    assert.match(unit, /^TimeoutStartSec=150$/m);
    const v = await verify(join(root, UNIT));
    assert.equal(v.exitCode, 0, v.stderr);
    assert.equal(v.stderr, '');
    const enabled = await execa('systemctl', [`--root=${root}`, 'is-enabled', 'asm-erdma.service'], { reject: false });
    assert.equal(String(enabled.stdout).trim(), 'enabled');
  });
});

test('install-service --root: ExecStart must exist inside the image; --exec says where it is', async (t) => {
  if (!(await systemdTools(t))) return;
  const root = scratchRoot();
  try {
    const refused = await runCli(['install-service', '--root', root]);
    assert.equal(refused.exitCode, 2);
    assert.equal(refused.stderr.split('\n').filter(Boolean).length, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^error: --root .*: .* does not exist inside the image, so the unit could not start \(.*--exec PATH\)$/m,
    );
    assert.ok(!existsSync(join(root, UNIT)), 'nothing written');
    const wrongExec = await runCli(['install-service', '--root', root, '--exec', '/usr/bin/asm-erdma']);
    assert.equal(wrongExec.exitCode, 2);
    assert.match(wrongExec.stderr, /\/usr\/bin\/asm-erdma does not exist inside the image/);
    const live = await runCli(['install-service', '--dry-run', '--exec', '/nonexistent/asm-erdma']);
    assert.equal(live.exitCode, 2);
    assert.match(live.stderr, /^error: --exec \/nonexistent\/asm-erdma: no such file on this node/);
    const relative = await runCli(['install-service', '--root', root, '--exec', 'asm-erdma']);
    assert.equal(relative.exitCode, 2);
    assert.match(relative.stderr, /--exec asm-erdma: not an absolute path/);
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/asm-erdma'), '', { mode: 0o755 });
    const r = await runCli(['install-service', '--root', root, '--exec', '/usr/bin/asm-erdma']);
    assert.equal(r.exitCode, 0, r.stderr);
    const unit = readFileSync(join(root, UNIT), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/asm-erdma setup --wait$/m);
    assert.match(unit, /^UnsetEnvironment=NODE_OPTIONS$/m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('install-service run from /tmp: refused in one line, exit 2, nothing written; --exec overrides', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  // A copy of this build under /tmp itself (not $TMPDIR): the place is the subject, wherever the checkout is.
  const dir = realpathSync(mkdtempSync('/tmp/asm-erdma-volatile-'));
  try {
    const cli = copyCli(dir);
    const log = join(dir, 'systemctl.log');
    const env = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_LOG: log };
    const afterwards = 'find /etc/systemd/system /etc/udev/rules.d -mindepth 1';
    const r = await runCli(['install-service', '--now'], { cli, env, privateMounts: PRIVATE_UNIT_DIR, afterwards });
    assert.equal(r.exitCode, 2, r.stderr);
    // ExecStart names Node first: were this Node itself somewhere volatile, it is the one named.
    const why =
      volatileReason(realpathSync(process.execPath), homedir()) ?? `${cli} is under /tmp, which a reboot may clear`;
    assert.equal(
      r.stderr,
      `error: the boot unit cannot start asm-erdma from where it runs now: ${why} ` +
        '(install the RPM (it puts asm-erdma at /usr/bin/asm-erdma), or say where it lives: --exec PATH)',
    );
    assert.equal(r.stdout, '', 'no unit, template or udev rule written');
    assert.ok(!existsSync(log), 'systemctl never asked to change anything');
    // The operator's word is taken as given, even for this place.
    const told = await runCli(['install-service', '--dry-run', '--exec', cli], { cli });
    assert.equal(told.exitCode, 0, told.stderr);
    assert.match(told.stdout, new RegExp(`\\nExecStart=${cli} setup --wait\\n`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd-analyze verify really rejects a broken unit (the check can fail)', async (t) => {
  if (!(await systemdTools(t))) return;
  await withRoot(async (dir) => {
    const bad = join(dir, 'asm-erdma.service');
    writeFileSync(bad, '[Service]\nType=oneshot\nExecStart=/nonexistent/node setup\n');
    assert.notEqual((await verify(bad)).exitCode, 0);
  });
});

test('re-running with the same content changes nothing; new options rewrite it', async (t) => {
  if (!(await systemdTools(t))) return;
  await withRoot(async (root) => {
    assert.equal((await runCli(['install-service', '--root', root, ...IN_IMAGE])).exitCode, 0);
    const before = statSync(join(root, UNIT));
    const again = await runCli(['install-service', '--root', root, ...IN_IMAGE]);
    assert.equal(again.exitCode, 0);
    assert.match(again.stdout, /nothing to do: asm-erdma.service is installed and enabled/);
    assert.equal(statSync(join(root, UNIT)).mtimeMs, before.mtimeMs);
    assert.equal(statSync(join(root, UNIT)).ino, before.ino);
    const changed = await runCli([
      'install-service',
      '--root',
      root,
      ...IN_IMAGE,
      '--timeout',
      '60',
      '-i',
      'eth1',
      '--json',
    ]);
    assert.equal(changed.exitCode, 0, changed.stderr);
    assert.equal((JSON.parse(changed.stdout) as { unitFile: string }).unitFile, 'updated');
    assert.match(
      readFileSync(join(root, UNIT), 'utf8'),
      /setup --wait --timeout 60 --interface eth1\nTimeoutStartSec=90\n/,
    );
  });
});

test('the old asm_erdma_eth_config.service is disabled (file kept), unless --keep-legacy', async (t) => {
  if (!(await systemdTools(t))) return;
  for (const keep of [false, true]) {
    const root = imageRoot();
    try {
      mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
      writeFileSync(
        join(root, LEGACY),
        '[Unit]\nAfter=network-online.target\n[Service]\nType=oneshot\nExecStart=/bin/sh ' +
          '/root/asm_erdma_eth_config.sh -s\nRemainAfterExit=yes\n[Install]\nWantedBy=multi-user.target\n',
      );
      await execa('systemctl', [`--root=${root}`, 'enable', 'asm_erdma_eth_config.service']);
      const r = await runCli(['install-service', '--root', root, ...IN_IMAGE, ...(keep ? ['--keep-legacy'] : [])]);
      assert.equal(r.exitCode, 0, r.stderr);
      const legacyEnabled = String(
        (await execa('systemctl', [`--root=${root}`, 'is-enabled', 'asm_erdma_eth_config.service'], { reject: false }))
          .stdout,
      ).trim();
      assert.equal(legacyEnabled, keep ? 'enabled' : 'disabled');
      assert.ok(existsSync(join(root, LEGACY)), 'legacy file kept');
      if (!keep) assert.match(r.stderr, /disabled the old asm_erdma_eth_config.service/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

test('uninstall-service --root removes it and is idempotent', async (t) => {
  if (!(await systemdTools(t))) return;
  await withRoot(async (root) => {
    assert.equal((await runCli(['install-service', '--root', root, ...IN_IMAGE])).exitCode, 0);
    const r = await runCli(['uninstall-service', '--root', root]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(!existsSync(join(root, UNIT)));
    assert.ok(!existsSync(join(root, WANTS)));
    const again = await runCli(['uninstall-service', '--root', root, '--json']);
    assert.equal(again.exitCode, 0);
    assert.deepEqual(JSON.parse(again.stdout) as { changes: string[]; unitFile: string }, {
      ...(JSON.parse(again.stdout) as object),
      changes: [],
      unitFile: 'absent',
    });
  });
});

test('--dry-run prints the unit and the commands and writes nothing', async (t) => {
  if (!(await systemdTools(t))) return;
  await withRoot(async (root) => {
    const r = await runCli(['install-service', '--root', root, ...IN_IMAGE, '--dry-run']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /would contain:\n# Written by asm-erdma/);
    assert.match(r.stdout, /\nExecStart=\/usr\/bin\/asm-erdma setup --wait\n/);
    assert.match(r.stdout, new RegExp(`systemctl --root=${root} enable asm-erdma.service`));
    assert.ok(!existsSync(join(root, 'etc')));
  });
});

test('bad targets: not a directory (2), --now with --root (2), unwritable root (6), no systemctl (8)', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  await withRoot(async (root) => {
    const missing = await runCli(['install-service', '--root', join(root, 'nope'), ...IN_IMAGE]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /--root .*nope: not a directory/);
    assert.equal((await runCli(['install-service', '--root', root, ...IN_IMAGE, '--now'])).exitCode, 2);
    const unwritable = await runCli(['install-service', '--root', root, ...IN_IMAGE], { asUser: 65534 });
    assert.equal(unwritable.exitCode, 6, unwritable.stderr);
    assert.match(unwritable.stderr, /^error: cannot write .*asm-erdma.service: EACCES; nothing was changed/);
    const noTool = await runCli(['install-service', '--root', root, ...IN_IMAGE], { env: { PATH: '/nonexistent' } });
    assert.equal(noTool.exitCode, 8);
    assert.match(noTool.stderr, /'systemctl' was not found on PATH, \/usr\/sbin or \/sbin \(install systemd\)/);
    assert.ok(!existsSync(join(root, UNIT)), 'nothing written');
  });
});

/**
 * Private tmpfs over /etc/systemd/system and /etc/udev/rules.d (the hot-plug rule): the live path writes where
 * it would on a node, safely.
 */
const PRIVATE_UNIT_DIR = [
  'mkdir -p /etc/systemd/system /etc/udev/rules.d',
  'mount -t tmpfs tmpfs /etc/systemd/system',
  'mount -t tmpfs tmpfs /etc/udev/rules.d',
].join(' && ');

test('live node: daemon-reload then enable; --now starts; legacy disabled; uninstall --now stops', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const dir = scratchRoot();
  const log = join(dir, 'systemctl.log');
  const env = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_LOG: log };
  const legacyUnit = '[Service]\\nType=oneshot\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n';
  const script = [
    PRIVATE_UNIT_DIR,
    `printf '${legacyUnit}' > /etc/systemd/system/asm_erdma_eth_config.service`,
    '/usr/bin/systemctl --root=/ enable asm_erdma_eth_config.service 2>/dev/null',
  ].join(' && ');
  try {
    const r = await runCli(['install-service', ...ON_NODE, '--now', '--json'], { env, privateMounts: script });
    assert.equal(r.exitCode, 0, r.stderr);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    // asm-erdma.service has no unit file yet: systemctl is not asked whether it is enabled.
    assert.deepEqual(calls, [
      'is-enabled asm_erdma_eth_config.service',
      'daemon-reload',
      'disable asm_erdma_eth_config.service',
      'enable asm-erdma.service',
      'restart asm-erdma.service',
    ]);
    const report = JSON.parse(r.stdout) as { legacy: string; started: boolean; unitPath: string };
    assert.equal(report.legacy, 'disabled');
    assert.equal(report.started, true);
    assert.equal(report.unitPath, '/etc/systemd/system/asm-erdma.service');

    writeFileSync(log, '');
    const un = await runCli(['uninstall-service', '--now'], {
      env,
      privateMounts: `${PRIVATE_UNIT_DIR} && printf x > /etc/systemd/system/asm-erdma.service`,
    });
    assert.equal(un.exitCode, 0, un.stderr);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'is-enabled asm-erdma.service',
      'stop asm-erdma.service',
      'daemon-reload',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live node: a failing enable puts the old unit file back', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const env = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_FAIL: 'enable' };
  const r = await runCli(['install-service', ...ON_NODE], {
    env,
    privateMounts: `${PRIVATE_UNIT_DIR} && printf old > /etc/systemd/system/asm-erdma.service`,
    afterwards: 'echo "after: $(cat /etc/systemd/system/asm-erdma.service)"; ls -A /etc/systemd/system',
  });
  assert.equal(r.exitCode, 6, r.stderr);
  assert.match(r.stderr, /^error: 'systemctl enable asm-erdma.service' failed: Failed to enable unit: Access denied/m);
  assert.deepEqual(
    r.stdout.trim().split('\n'),
    ['after: old', 'asm-erdma.service'],
    'old content back, no temp file left',
  );
});

test('--root, a failing enable: every file and every directory the install made in the image is gone', async (t) => {
  if (!(await systemdTools(t))) return;
  await withRoot(async (root) => {
    const before = readdirSync(root).sort();
    const env = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_FAIL: 'enable' };
    const r = await runCli(['install-service', '--root', root, ...IN_IMAGE], { env });
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(r.stderr, /put back as it was: remove \S+90-asm-erdma.rules and the directories it made \(/);
    // The image had no /etc: the install made /etc/systemd/system and /etc/udev/rules.d, and took them back.
    assert.deepEqual(readdirSync(root).sort(), before);
    assert.ok(!existsSync(join(root, 'etc')));
  });
});

test('--root needs no privileges when the image root is writable by the user', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  await withRoot(async (root) => {
    await execa('chown', ['-R', '65534:65534', root]);
    const r = await runCli(['install-service', '--root', root, ...IN_IMAGE], { asUser: 65534 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(readlinkSync(join(root, WANTS)), '/etc/systemd/system/asm-erdma.service');
    assert.equal(statSync(join(root, UNIT)).uid, 65534);
  });
});

test('live node without root is refused before anything is written', async (t) => {
  if (!requireRoot(t)) return;
  const r = await runCli(['install-service', ...ON_NODE], { asUser: 65534 });
  assert.equal(r.exitCode, 3, r.stderr);
  assert.match(r.stderr, /^error: install-service needs root; nothing was changed/);
});

/**
 * install-service is all or nothing up to enable (issue 8, item 9): each failing step puts back what the earlier
 * ones changed. The node before: an old asm-erdma.service (valid, not enabled) and the legacy unit enabled.
 */
const OLD_UNIT = '[Service]\\nType=oneshot\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n';
const BEFORE = [
  PRIVATE_UNIT_DIR,
  `printf '${OLD_UNIT}' > /etc/systemd/system/asm_erdma_eth_config.service`,
  '/usr/bin/systemctl --root=/ enable asm_erdma_eth_config.service 2>/dev/null',
  `printf '${OLD_UNIT}' > /etc/systemd/system/asm-erdma.service`,
].join(' && ');
/** Prints, after the run: the unit's first line, the wants links, the legacy unit's enablement. */
const AFTER = [
  'echo "unit: $(head -n 1 /etc/systemd/system/asm-erdma.service)"',
  'echo "wants: $(ls /etc/systemd/system/multi-user.target.wants | tr "\\n" " ")"',
  'echo "legacy: $(/usr/bin/systemctl --root=/ is-enabled asm_erdma_eth_config.service)"',
  'ls -A /etc/systemd/system | grep -c "\\.tmp$" | sed "s/^/temp files: /"',
].join('; ');
const PUT_BACK = ['unit: [Service]', 'wants: asm_erdma_eth_config.service ', 'legacy: enabled', 'temp files: 0'];

interface StepRun {
  code: number;
  stderr: string;
  calls: string[];
  after: string[];
}

async function failingStep(fail: string, extraMounts = ''): Promise<StepRun> {
  const dir = scratchRoot();
  const log = join(dir, 'systemctl.log');
  try {
    const env: Record<string, string> = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_LOG: log };
    if (fail) Object.assign(env, { SIM_SYSTEMCTL_FAIL: fail, SIM_SYSTEMCTL_FAIL_TIMES: '1' });
    const privateMounts = `${BEFORE}${extraMounts}`;
    const r = await runCli(['install-service', ...ON_NODE, '--now'], { env, privateMounts, afterwards: AFTER });
    const out = r.stdout.trim().split('\n');
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    const after = out.slice(out.findIndex((l) => l.startsWith('unit: ')));
    return { code: r.exitCode, stderr: r.stderr, calls, after };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('install-service: the unit file cannot be written → nothing was changed, exit 6', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const r = await failingStep('', ' && mount -o remount,ro /etc/systemd/system');
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /^error: cannot write \/etc\/systemd\/system\/asm-erdma.service: EROFS; nothing was changed/);
  assert.deepEqual(r.calls, ['is-enabled asm-erdma.service', 'is-enabled asm_erdma_eth_config.service']);
  assert.deepEqual(r.after, PUT_BACK);
});

test('install-service: daemon-reload fails → the old unit file is back and systemd reloaded again', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const r = await failingStep('daemon-reload');
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /^error: 'systemctl daemon-reload' failed: Failed to daemon-reload unit: Access denied; /m);
  assert.match(
    r.stderr,
    /; put back as it was: (remove [^,]+, )*restore the previous \/etc\/systemd\/system\/asm-erdma.service, /,
  );
  assert.match(r.stderr, /asm-erdma.service, systemctl daemon-reload \(/m);
  const reads = ['is-enabled asm-erdma.service', 'is-enabled asm_erdma_eth_config.service'];
  assert.deepEqual(r.calls, [...reads, 'daemon-reload', 'daemon-reload']);
  assert.deepEqual(r.after, PUT_BACK);
});

test('install-service: enable fails → the old unit re-enabled, the old file back, no dangling link', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const r = await failingStep('enable');
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /^error: 'systemctl enable asm-erdma.service' failed: Failed to enable unit: Access denied;/m);
  assert.match(
    r.stderr,
    /; put back as it was: systemctl enable asm_erdma_eth_config.service, (remove [^,]+, )*restore the previous /,
  );
  assert.deepEqual(r.calls, [
    'is-enabled asm-erdma.service',
    'is-enabled asm_erdma_eth_config.service',
    'daemon-reload',
    'disable asm_erdma_eth_config.service',
    'enable asm-erdma.service',
    'enable asm_erdma_eth_config.service',
    'daemon-reload',
  ]);
  assert.deepEqual(r.after, PUT_BACK);
});

test('install-service --now: a failed start keeps the install (it runs at boot), reported as such', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const r = await failingStep('restart');
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /^error: asm-erdma.service is installed and enabled, but starting it failed: /m);
  const restartFailed = /'systemctl restart asm-erdma.service' failed: Failed to restart unit: Access denied/;
  assert.match(r.stderr, restartFailed);
  assert.match(r.stderr, /Access denied \(journalctl -u asm-erdma.service/);
  assert.deepEqual(r.calls.slice(-2), ['enable asm-erdma.service', 'restart asm-erdma.service']);
  assert.deepEqual(r.after, [
    'unit: # Written by asm-erdma install-service; re-run it rather than editing this file.',
    'wants: asm-erdma.service ',
    'legacy: disabled',
    'temp files: 0',
  ]);
});

test('install-service --now --json: a failed start still prints the report (started: false, startError)', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const env = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_FAIL: 'restart' };
  const r = await runCli(['install-service', ...ON_NODE, '--now', '--json'], { env, privateMounts: PRIVATE_UNIT_DIR });
  assert.equal(r.exitCode, 6, r.stderr);
  const report = JSON.parse(r.stdout) as { unitFile: string; enabled: boolean; started: boolean; startError: string };
  assert.deepEqual([report.unitFile, report.enabled, report.started], ['created', true, false]);
  assert.match(report.startError, /'systemctl restart asm-erdma.service' failed/);
});

test('uninstall-service: daemon-reload fails → the unit file is back and enabled again', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const dir = scratchRoot();
  const log = join(dir, 'systemctl.log');
  try {
    const env = { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_LOG: log };
    Object.assign(env, { SIM_SYSTEMCTL_FAIL: 'daemon-reload', SIM_SYSTEMCTL_FAIL_TIMES: '1' });
    const before = [
      PRIVATE_UNIT_DIR,
      `printf '${OLD_UNIT}' > /etc/systemd/system/asm-erdma.service`,
      '/usr/bin/systemctl --root=/ enable asm-erdma.service 2>/dev/null',
    ].join(' && ');
    const after =
      'echo "unit: $(head -n 1 /etc/systemd/system/asm-erdma.service)"; ' +
      'echo "enabled: $(/usr/bin/systemctl --root=/ is-enabled asm-erdma.service)"';
    const r = await runCli(['uninstall-service'], { env, privateMounts: before, afterwards: after });
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(r.stderr, /^error: 'systemctl daemon-reload' failed: .*; put back as it was: restore /m);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      'is-enabled asm-erdma.service',
      'disable asm-erdma.service',
      'daemon-reload',
      'daemon-reload',
      'enable asm-erdma.service',
    ]);
    assert.deepEqual(r.stdout.trim().split('\n'), ['unit: [Service]', 'enabled: enabled']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hot-plug: install-service --root writes the udev rule and template unit; verify takes an instance', async (t) => {
  if (!(await systemdTools(t))) return;
  await withImageCli(async (root, cli) => {
    const r = await runCli(['install-service', '--root', root, '--timeout', '90', '--json'], { cli });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { hotplug: string }).hotplug, 'created');
    for (const f of [HOTPLUG, RULE]) assert.equal(statSync(join(root, f)).mode & 0o777, 0o644, f);
    const rule = readFileSync(join(root, RULE), 'utf8');
    assert.match(
      rule,
      new RegExp(
        String.raw`^ACTION=="add", SUBSYSTEM=="infiniband", KERNEL=="erdma_\*", TAG\+="systemd", ` +
          String.raw`ENV\{SYSTEMD_WANTS\}\+="asm-erdma-hotplug@%k.service"$`,
        'm',
      ),
    );
    const template = readFileSync(join(root, HOTPLUG), 'utf8');
    assert.match(
      template,
      new RegExp(`^ExecStart=${realpathSync(process.execPath)} ${CLI_IN_IMAGE} setup --wait --timeout 90$`, 'm'),
    );
    // udev pulls it in: nothing to enable, so systemctl calls it static, and the boot unit stays the enabled one
    const state = await execa('systemctl', [`--root=${root}`, 'is-enabled', 'asm-erdma-hotplug@erdma_0.service'], {
      reject: false,
    });
    assert.equal(String(state.stdout).trim(), 'static');
    // what udev starts: an instance of the template (systemd-analyze verify needs an instance name)
    const dir = join(root, 'verify');
    mkdirSync(dir);
    writeFileSync(join(dir, 'asm-erdma-hotplug@erdma_0.service'), template);
    const v = await verify(join(dir, 'asm-erdma-hotplug@erdma_0.service'));
    assert.equal(v.exitCode, 0, v.stderr);
    assert.equal(
      v.stderr
        .split('\n')
        .filter((l) => l && !/asm-erdma.service/.test(l))
        .join('\n'),
      '',
    );

    const again = await runCli(['install-service', '--root', root, '--timeout', '90', '--json'], { cli });
    assert.deepEqual((JSON.parse(again.stdout) as { hotplug: string; changes: string[] }).changes, []);
    const un = await runCli(['uninstall-service', '--root', root, '--json'], { cli });
    assert.equal(un.exitCode, 0, un.stderr);
    const report = JSON.parse(un.stdout) as { hotplug: string; changes: string[] };
    assert.equal(report.hotplug, 'removed');
    assert.ok(
      report.changes.includes(`remove ${root}/${RULE}`) && report.changes.includes(`remove ${root}/${HOTPLUG}`),
      report.changes.join('\n'),
    );
    for (const f of [UNIT, HOTPLUG, RULE, WANTS]) assert.ok(!existsSync(join(root, f)), `${f} removed`);
  });
});

test('hot-plug live: the rule lands in /etc/udev/rules.d, one daemon-reload; a failed enable removes it', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  const dir = scratchRoot();
  const log = join(dir, 'systemctl.log');
  try {
    const listing = 'ls /etc/udev/rules.d /etc/systemd/system';
    const ok = await runCli(['install-service', ...ON_NODE], {
      env: { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_LOG: log },
      privateMounts: PRIVATE_UNIT_DIR,
      afterwards: `${listing}; grep -h ^ExecStart= /etc/systemd/system/asm-erdma*.service`,
    });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /90-asm-erdma.rules/);
    assert.match(ok.stdout, /asm-erdma-hotplug@.service/);
    const execStarts = ok.stdout.split('\n').filter((l) => l.startsWith('ExecStart='));
    assert.deepEqual(
      execStarts,
      [`ExecStart=${CLI} setup --wait`, `ExecStart=${CLI} setup --wait`],
      'what --exec said',
    );
    assert.deepEqual(
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l === 'daemon-reload'),
      ['daemon-reload'],
    );
    const failing = await runCli(['install-service', ...ON_NODE], {
      env: { PATH: `${STANDIN}:${process.env.PATH}`, SIM_SYSTEMCTL_FAIL: 'enable' },
      privateMounts: PRIVATE_UNIT_DIR,
      afterwards: listing,
    });
    assert.equal(failing.exitCode, 6, failing.stderr);
    assert.doesNotMatch(failing.stdout, /90-asm-erdma.rules|hotplug|asm-erdma.service/, 'nothing of ours left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uninstall-service --now, no systemd running: refused whole; --keep-going removes the files ', async (t) => {
  if (!(await systemdTools(t)) || !requireRoot(t)) return;
  // The real systemctl, as in an image, a chroot without /proc or a container: unit-file verbs work offline,
  // stop and daemon-reload fail ("System has not been booted with systemd as init system").
  const unit = '[Service]\\nType=oneshot\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n';
  const installed = [
    PRIVATE_UNIT_DIR,
    `printf '${unit}' > /etc/systemd/system/asm-erdma.service`,
    `printf '${unit}' > /etc/systemd/system/asm-erdma-hotplug@.service`,
    'printf rule > /etc/udev/rules.d/90-asm-erdma.rules',
    '/usr/bin/systemctl --root=/ enable asm-erdma.service 2>/dev/null',
  ].join(' && ');
  const afterwards = 'echo LEFT:; find /etc/systemd/system /etc/udev/rules.d -mindepth 1 | sort';
  const left = (stdout: string) =>
    stdout
      .split(/LEFT:\n?/)[1]
      ?.trim()
      .split('\n')
      .filter(Boolean);
  const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' };
  const whole = await runCli(['uninstall-service', '--now'], { env, privateMounts: installed, afterwards });
  assert.equal(whole.exitCode, 6, whole.stderr);
  assert.match(whole.stderr, /^error: .*System has not been booted with systemd.*; nothing was changed/m);
  assert.deepEqual(
    left(whole.stdout),
    [
      '/etc/systemd/system/asm-erdma-hotplug@.service',
      '/etc/systemd/system/asm-erdma.service',
      '/etc/systemd/system/multi-user.target.wants',
      '/etc/systemd/system/multi-user.target.wants/asm-erdma.service',
      '/etc/udev/rules.d/90-asm-erdma.rules',
    ],
    'all or nothing: everything is still there',
  );

  const args = ['uninstall-service', '--now', '--keep-going'];
  const going = await runCli(args, { env, privateMounts: installed, afterwards });
  assert.equal(going.exitCode, 6, going.stderr);
  assert.match(
    going.stderr,
    new RegExp(
      "^error: asm-erdma\\.service's files are removed, but systemd could not stop it or reload: .*" +
        'System has not been booted with systemd',
      'm',
    ),
  );
  assert.deepEqual(left(going.stdout), [], 'no unit, template, wants link or udev rule left');
  assert.match(going.stdout, /^remove \/etc\/udev\/rules\.d\/90-asm-erdma\.rules$/m);
});
