import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI_IN_IMAGE, imageWithCli, runCli } from '../helpers/cli.js';
import { prerequisite } from '../helpers/sim.js';

// install-service --metrics into an image root with the real systemctl, checked by the real systemd-analyze.

/**
 * The boot unit's sandbox (exposure 2.5) plus what entering the pods' network namespaces needs, and nothing else
 * (real-boot.test.ts proves each of the three is needed under a real systemd).
 */
const MAX_EXPOSURE = 3.1;
const FOR_NAMESPACES = [
  'CapabilityBoundingSet=~CAP_SYS_ADMIN',
  'CapabilityBoundingSet=~CAP_SYS_PTRACE',
  'RestrictNamespaces=~net',
];
const TEXTFILE = '/var/lib/node_exporter/textfile_collector';

async function analyze(t: TestContext): Promise<boolean> {
  const r = await execa('systemd-analyze', ['--version'], { reject: false });
  return prerequisite(t, r.exitCode === 0 ? undefined : 'systemd-analyze is not installed');
}

async function withImage(body: (root: string, cli: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'metrics-units-'));
  chmodSync(root, 0o755);
  try {
    // This build's CLI copied into the image and run from there: ExecStart names it there, wherever the checkout is.
    const cli = imageWithCli(root);
    mkdirSync(join(root, TEXTFILE), { recursive: true });
    await body(root, cli);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `systemd-analyze security --offline`: the overall exposure and the names of the settings it marks ✗. */
async function security(root: string, unit: string): Promise<{ score: number; exposed: string[] }> {
  const s = await execa('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, '--no-pager', unit], {
    reject: false,
  });
  const out = String(s.stdout);
  const score = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(out)?.[1]);
  return { score, exposed: [...out.matchAll(/^✗ (\S+)/gm)].map((m) => m[1] as string) };
}

test('install-service --metrics: units verify clean, exposure <= 3.1 (boot unit + namespaces), timer on', async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root, cli) => {
    const r = await runCli(['install-service', '--root', root, '--metrics', '--json'], { cli });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { metrics: string }).metrics, 'created');
    const dir = join(root, 'etc/systemd/system');
    // The link points at the image's /etc path: look at the link itself.
    assert.ok(lstatSync(join(dir, 'timers.target.wants/asm-erdma-metrics.timer')).isSymbolicLink(), 'enabled');
    const service = readFileSync(join(dir, 'asm-erdma-metrics.service'), 'utf8');
    const exec = `${realpathSync(process.execPath)} ${CLI_IN_IMAGE}`;
    assert.match(service, new RegExp(`^ExecStart=${exec} metrics --textfile ${TEXTFILE}$`, 'm'));
    for (const unit of ['asm-erdma-metrics.service', 'asm-erdma-metrics.timer']) {
      const v = await execa('systemd-analyze', ['verify', join(dir, unit)], { reject: false });
      assert.equal(v.exitCode, 0, String(v.stderr));
      assert.equal(String(v.stderr), '', unit);
    }
    const metrics = await security(root, 'asm-erdma-metrics.service');
    const boot = await security(root, 'asm-erdma.service');
    t.diagnostic(`asm-erdma-metrics.service: exposure ${metrics.score} (asm-erdma.service ${boot.score})`);
    assert.ok(metrics.score <= MAX_EXPOSURE, `exposure ${metrics.score}`);
    const beyondBoot = metrics.exposed.filter((x) => !boot.exposed.includes(x)).sort();
    assert.deepEqual(beyondBoot, FOR_NAMESPACES, 'only what entering the namespaces needs');
    // Again: nothing to do.
    const again = await runCli(['install-service', '--root', root, '--metrics', '--json'], { cli });
    const report = JSON.parse(again.stdout) as { metrics: string; changes: string[] };
    assert.deepEqual([report.metrics, report.changes], ['unchanged', []]);
  });
});

test('--metrics=DIR goes into the service; a relative or odd DIR is a usage error, nothing written', async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root, cli) => {
    mkdirSync(join(root, 'srv/prom'), { recursive: true });
    const r = await runCli(['install-service', '--root', root, '--metrics=/srv/prom/'], { cli });
    assert.equal(r.exitCode, 0, r.stderr);
    const service = readFileSync(join(root, 'etc/systemd/system/asm-erdma-metrics.service'), 'utf8');
    assert.match(service, /^ReadWritePaths=\/srv\/prom$/m);
    assert.match(service, / metrics --textfile \/srv\/prom$/m);
    for (const bad of ['--metrics=prom', '--metrics=/srv/my prom']) {
      const other = mkdtempSync(join(tmpdir(), 'metrics-units-bad-'));
      try {
        const b = await runCli(['install-service', '--root', other, bad]);
        assert.equal(b.exitCode, 2, b.stderr);
        assert.match(b.stderr, /^error: --metrics '[^']+': must be an absolute path|may hold only/);
        assert.ok(!existsSync(join(other, 'etc')), 'nothing written');
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    }
  });
});

test('uninstall-service removes the metrics service and timer and disables the timer', async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root, cli) => {
    assert.equal((await runCli(['install-service', '--root', root, '--metrics'], { cli })).exitCode, 0);
    const r = await runCli(['uninstall-service', '--root', root, '--json'], { cli });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { metrics: string }).metrics, 'removed');
    const dir = join(root, 'etc/systemd/system');
    for (const f of [
      'asm-erdma-metrics.service',
      'asm-erdma-metrics.timer',
      'timers.target.wants/asm-erdma-metrics.timer',
    ])
      assert.throws(() => lstatSync(join(dir, f)), { code: 'ENOENT' }, f);
  });
});
