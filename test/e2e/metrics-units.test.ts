import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { CLI } from '../../scripts/sim/sim-node.js';
import { runCli } from '../helpers/cli.js';
import { prerequisite } from '../helpers/sim.js';

// install-service --metrics into an image root with the real systemctl, checked by the real systemd-analyze.

const MAX_EXPOSURE = 3.0;
const TEXTFILE = '/var/lib/node_exporter/textfile_collector';

async function analyze(t: TestContext): Promise<boolean> {
  const r = await execa('systemd-analyze', ['--version'], { reject: false });
  return prerequisite(t, r.exitCode === 0 ? undefined : 'systemd-analyze is not installed');
}

async function withImage(body: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'metrics-units-'));
  chmodSync(root, 0o755);
  try {
    for (const p of [realpathSync(process.execPath), realpathSync(CLI)]) {
      mkdirSync(join(root, dirname(p)), { recursive: true });
      writeFileSync(join(root, p), '');
    }
    mkdirSync(join(root, TEXTFILE), { recursive: true });
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('install-service --metrics: units verify clean, service exposure <= 3.0, timer enabled', async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root) => {
    const r = await runCli(['install-service', '--root', root, '--metrics', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { metrics: string }).metrics, 'created');
    const dir = join(root, 'etc/systemd/system');
    // The link points at the image's /etc path: look at the link itself.
    assert.ok(lstatSync(join(dir, 'timers.target.wants/asm-erdma-metrics.timer')).isSymbolicLink(), 'enabled');
    const service = readFileSync(join(dir, 'asm-erdma-metrics.service'), 'utf8');
    assert.match(service, new RegExp(`^ExecStart=\\S+ \\S+ metrics --textfile ${TEXTFILE}$`, 'm'));
    for (const unit of ['asm-erdma-metrics.service', 'asm-erdma-metrics.timer']) {
      const v = await execa('systemd-analyze', ['verify', join(dir, unit)], { reject: false });
      assert.equal(v.exitCode, 0, String(v.stderr));
      assert.equal(String(v.stderr), '', unit);
    }
    const s = await execa(
      'systemd-analyze',
      ['security', '--offline=yes', `--root=${root}`, '--no-pager', 'asm-erdma-metrics.service'],
      { reject: false },
    );
    const score = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(String(s.stdout))?.[1]);
    t.diagnostic(`asm-erdma-metrics.service: exposure ${score}`);
    assert.ok(score <= MAX_EXPOSURE, `exposure ${score}`);
    // Again: nothing to do.
    const again = await runCli(['install-service', '--root', root, '--metrics', '--json']);
    const report = JSON.parse(again.stdout) as { metrics: string; changes: string[] };
    assert.deepEqual([report.metrics, report.changes], ['unchanged', []]);
  });
});

test('--metrics=DIR goes into the service; a relative or odd DIR is a usage error, nothing written', async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root) => {
    mkdirSync(join(root, 'srv/prom'), { recursive: true });
    const r = await runCli(['install-service', '--root', root, '--metrics=/srv/prom/']);
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
  await withImage(async (root) => {
    assert.equal((await runCli(['install-service', '--root', root, '--metrics'])).exitCode, 0);
    const r = await runCli(['uninstall-service', '--root', root, '--json']);
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
