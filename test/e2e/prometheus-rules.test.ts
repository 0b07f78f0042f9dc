import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { nodeMetricFamilies } from '../../src/core/node-metrics.js';
import { PROMTOOL, requirePromtool } from '../helpers/metrics-run.js';

// The shipped alert rules, checked and unit-tested by the real promtool (deploy/prometheus).
const DIR = join(REPO_ROOT, 'deploy/prometheus');
const RULES = join(DIR, 'asm-erdma.rules.yml');

test('promtool check rules: the rule file is clean', async (t) => {
  if (!requirePromtool(t)) return;
  const r = await execa(PROMTOOL, ['check', 'rules', RULES], { reject: false });
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(String(r.stdout), /SUCCESS: 6 rules found/);
});

test('promtool test rules: each alert fires, and resolves once the node is fixed', async (t) => {
  if (!requirePromtool(t)) return;
  const r = await execa(PROMTOOL, ['test', 'rules', 'asm-erdma.rules.test.yml'], { cwd: DIR, reject: false });
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  const tests = readFileSync(join(DIR, 'asm-erdma.rules.test.yml'), 'utf8');
  for (const alert of readFileSync(RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)) {
    // Every alert has a test where it fires (expected labels) and one where it is gone (no alerts).
    const blocks = tests.split(/- alertname: /).filter((b) => b.startsWith(`${alert[1]}\n`));
    assert.ok(
      blocks.some((b) => b.includes('exp_labels')),
      `${alert[1]} has a firing test`,
    );
    assert.ok(
      blocks.some((b) => /exp_alerts: \[\]/.test(b)),
      `${alert[1]} has a resolved test`,
    );
  }
});

test('every asm_erdma_* name the rules use is a metric asm-erdma metrics exports', () => {
  const families = nodeMetricFamilies({
    ready: true,
    checks: [],
    nics: [],
    smc: { ok: true, scopes: [] },
    lastSetup: undefined,
    kernelRelease: undefined,
    build: { version: '0', commit: null },
  }).map((f) => f.name);
  const used = new Set([...readFileSync(RULES, 'utf8').matchAll(/\b(asm_erdma_\w+)/g)].map((m) => m[1]));
  assert.ok(used.size >= 5);
  for (const name of used) assert.ok(families.includes(name as string), `${name} is not exported`);
});
