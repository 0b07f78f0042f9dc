import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { CLI } from '../../scripts/sim/sim-node.js';
import { runCli } from '../helpers/cli.js';
import { prerequisite } from '../helpers/sim.js';

// The units install-service writes, scored by the real `systemd-analyze security --offline` (no running systemd
// needed) and checked by `systemd-analyze verify`.

const MAX_EXPOSURE = 3.0;
const UNITS = ['asm-erdma.service', 'asm-erdma-hotplug@erdma_1.service'];

async function analyze(t: import('node:test').TestContext): Promise<boolean> {
  const r = await execa('systemd-analyze', ['--version'], { reject: false });
  return prerequisite(t, r.exitCode === 0 ? undefined : 'systemd-analyze is not installed');
}

async function exposure(root: string, unit: string): Promise<number> {
  const r = await execa('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, '--no-pager', unit], {
    reject: false,
  });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(String(r.stdout));
  assert.ok(m, `no exposure line for ${unit}: ${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

async function withImage(body: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'asm-erdma-sandbox-'));
  chmodSync(root, 0o755);
  try {
    for (const p of [realpathSync(process.execPath), realpathSync(CLI)]) {
      mkdirSync(join(root, dirname(p)), { recursive: true });
      writeFileSync(join(root, p), '');
    }
    const r = await runCli(['install-service', '--root', root]);
    assert.equal(r.exitCode, 0, r.stderr);
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test(`both units score an exposure of at most ${MAX_EXPOSURE} and verify clean`, async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root) => {
    const dir = join(root, 'etc/systemd/system');
    for (const unit of UNITS) {
      const score = await exposure(root, unit);
      t.diagnostic(`${unit}: exposure ${score}`);
      assert.ok(score <= MAX_EXPOSURE, `${unit}: exposure ${score} > ${MAX_EXPOSURE}`);
    }
    // verify wants the instance's name; a link to the template gives it.
    const instance = join(dir, UNITS[1] as string);
    await execa('ln', ['-s', 'asm-erdma-hotplug@.service', instance]);
    for (const path of [join(dir, 'asm-erdma.service'), instance]) {
      const v = await execa('systemd-analyze', ['verify', path], { reject: false });
      const noise = /non-existent unit multi-user.target/;
      const stderr = String(v.stderr)
        .split('\n')
        .filter((l) => l && !noise.test(l))
        .join('\n');
      assert.equal(v.exitCode, 0, stderr);
      assert.equal(stderr, '', `${path}: ${stderr}`);
    }
  });
});

test('the score check can fail: the same unit without its sandbox is exposed', async (t) => {
  if (!(await analyze(t))) return;
  await withImage(async (root) => {
    const path = join(root, 'etc/systemd/system/asm-erdma.service');
    const bare = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => !/^(Capability|NoNew|Protect|Private|Restrict|Lock|SystemCall|UMask|Runtime)/.test(l))
      .join('\n');
    writeFileSync(path, bare);
    assert.ok((await exposure(root, 'asm-erdma.service')) > 9, 'unconfined');
  });
});
