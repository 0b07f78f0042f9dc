import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withSim } from '../helpers/sim.js';
import {
  metricsCli,
  metricsEnv,
  promtoolCheckMetrics,
  requirePromtool,
  runMetrics,
  seriesValue,
  type MetricsRun,
} from '../helpers/metrics-run.js';
import type { SimNode } from '../../scripts/sim/sim-node.js';
import { startCli } from '../helpers/live-cli.js';

/** Runs metrics, checks it exited 0 and that promtool finds nothing to complain about; returns the text. */
async function lintedMetrics(node: SimNode, o: MetricsRun = {}): Promise<string> {
  const r = await runMetrics(node, o);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stderr, '');
  // The runner strips the final newline the CLI printed; the exposition format ends with one.
  const text = `${r.stdout}\n`;
  const lint = await promtoolCheckMetrics(text);
  assert.deepEqual(lint, { exitCode: 0, output: '' }, text);
  return text;
}

test('configured node: ready, NICs configured, SMC-R only, last setup ok; promtool finds nothing', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 2 }, async (node) => {
    const before = Math.floor(Date.now() / 1000);
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const text = await lintedMetrics(node);
    assert.equal(seriesValue(text, 'asm_erdma_ready'), 1, text);
    for (const nic of node.nics) {
      assert.equal(seriesValue(text, `asm_erdma_nic_configured{ifname="${nic.name}",mac="${nic.mac}"}`), 1, text);
    }
    assert.equal(seriesValue(text, 'asm_erdma_check{id="nic:eth1",state="ok"}'), 1);
    assert.equal(seriesValue(text, 'asm_erdma_check{id="nic:eth1",state="fail"}'), 0);
    assert.equal(seriesValue(text, 'asm_erdma_smc_scrape_success'), 1);
    // Alone in its PID namespace (metricsCli): SMC read in the node's namespace only, none of the machine's.
    assert.doesNotMatch(text, /^asm_erdma_smc_\w+\{[^}]*(netns|pod)=/m);
    assert.equal(seriesValue(text, 'asm_erdma_smc_connections{mode="smcr"}'), 2);
    assert.equal(seriesValue(text, 'asm_erdma_smc_connections{mode="fallback"}'), 0);
    assert.doesNotMatch(text, /^asm_erdma_smc_fallback_connections\{/m);
    assert.equal(seriesValue(text, 'asm_erdma_last_setup_success'), 1);
    const at = seriesValue(text, 'asm_erdma_last_setup_timestamp_seconds') ?? 0;
    assert.ok(at >= before && at <= Math.ceil(Date.now() / 1000), `timestamp ${at}`);
    assert.equal(seriesValue(text, 'asm_erdma_kernel_info{release="5.10.134-17.3.al8.x86_64"}'), 1);
    assert.match(text, /^asm_erdma_build_info\{version="\d+\.\d+\.\d+[^"]*",commit="[^"]+"\} 1$/m);
    // Every family says what it is: one HELP and one TYPE line before its samples.
    const families = new Set([...text.matchAll(/^(asm_erdma_\w+)[{ ]/gm)].map((m) => m[1]));
    for (const f of families) {
      assert.match(text, new RegExp(`^# HELP ${f} \\S`, 'm'));
      assert.match(text, new RegExp(`^# TYPE ${f} gauge$`, 'm'));
    }
    // The boot unit is not installed here: that check warns, and the state set says so.
    assert.equal(seriesValue(text, 'asm_erdma_check{id="boot-unit",state="warn"}'), 1);
  });
});

test('after reset: the NICs are not configured, the node is not ready', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 2 }, async (node) => {
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    assert.equal((await node.cli(['reset'])).exitCode, 0);
    const text = await lintedMetrics(node);
    assert.equal(seriesValue(text, 'asm_erdma_ready'), 0);
    for (const nic of node.nics) {
      assert.equal(seriesValue(text, `asm_erdma_nic_configured{ifname="${nic.name}",mac="${nic.mac}"}`), 0);
      assert.equal(seriesValue(text, `asm_erdma_check{id="nic:${nic.name}",state="fail"}`), 1);
    }
    // reset is not a setup: the last setup's outcome stays.
    assert.equal(seriesValue(text, 'asm_erdma_last_setup_success'), 1);
  });
});

test('smcss missing: smc_scrape_success 0 and no made-up SMC zeros', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 1 }, async (node) => {
    const text = await lintedMetrics(node, { smc: false });
    assert.equal(seriesValue(text, 'asm_erdma_smc_scrape_success'), 0);
    assert.doesNotMatch(text, /^asm_erdma_smc_(connections|fallback_connections|listening_sockets)/m);
    // Never set up on this node: no last-setup series either.
    assert.doesNotMatch(text, /^asm_erdma_last_setup/m);
    assert.equal(seriesValue(text, 'asm_erdma_nic_configured{ifname="eth1",mac="00:16:3e:5a:00:01"}'), 0);
  });
});

test('smcss failing (no smc_diag) is the same as missing: scrape 0, no SMC series', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 1 }, async (node) => {
    const text = await lintedMetrics(node, { env: { SIM_SMCSS_FAIL: 'nodiag' } });
    assert.equal(seriesValue(text, 'asm_erdma_smc_scrape_success'), 0);
    assert.doesNotMatch(text, /^asm_erdma_smc_connections/m);
  });
});

test('smcss with fallbacks: connections by mode, fallbacks by decoded reason', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 1 }, async (node) => {
    const text = await lintedMetrics(node, { sockets: 'sockets-mixed.txt' });
    assert.equal(seriesValue(text, 'asm_erdma_smc_connections{mode="smcr"}'), 2);
    assert.equal(seriesValue(text, 'asm_erdma_smc_connections{mode="fallback"}'), 5);
    assert.equal(seriesValue(text, 'asm_erdma_smc_fallback_connections{reason="NOSMCRDEV"}'), 3);
    assert.equal(seriesValue(text, 'asm_erdma_smc_fallback_connections{reason="DIFFPREFIX"}'), 1);
    assert.equal(seriesValue(text, 'asm_erdma_smc_fallback_connections{reason="PEERDECL/PEERNOSMC"}'), 1);
    assert.equal(seriesValue(text, 'asm_erdma_smc_listening_sockets'), 1);
  });
});

test('--textfile: DIR/asm_erdma.prom written whole, no temp file left, nothing else in the node changed', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 1 }, async (node) => {
    const scratch = mkdtempSync(join(tmpdir(), 'metrics-textfile-'));
    try {
      const dir = join(scratch, 'collector');
      mkdirSync(dir);
      const env = metricsEnv(node, scratch);
      const r = await metricsCli(node, ['--textfile', dir], env);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.deepEqual(readdirSync(dir), ['asm_erdma.prom']);
      const text = readFileSync(join(dir, 'asm_erdma.prom'), 'utf8');
      assert.deepEqual(await promtoolCheckMetrics(text), { exitCode: 0, output: '' });
      assert.equal(statSync(join(dir, 'asm_erdma.prom')).mode & 0o777, 0o644);
      // Read-only: it did not even create setup's run directory.
      assert.throws(() => statSync(env.ASM_ERDMA_RUN_DIR as string), { code: 'ENOENT' });
      // A planted symlink at the target is replaced, never written through.
      const victim = join(scratch, 'victim');
      writeFileSync(victim, 'keep\n');
      rmSync(join(dir, 'asm_erdma.prom'));
      symlinkSync(victim, join(dir, 'asm_erdma.prom'));
      assert.equal((await metricsCli(node, ['--textfile', dir], env)).exitCode, 0);
      assert.equal(readFileSync(victim, 'utf8'), 'keep\n');
      assert.ok(statSync(join(dir, 'asm_erdma.prom')).isFile());
      // A directory that is not there: exit 6, one line, nothing written.
      const missing = await metricsCli(node, ['--textfile', join(scratch, 'nope')], env);
      assert.equal(missing.exitCode, 6);
      assert.match(missing.stderr, /^error: --textfile \S+\/nope: no such directory \(give node_exporter's/);
      assert.equal(missing.stderr.trim().split('\n').length, 1);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

test('a hanging tool: killed at --timeout, its check marked fail, the textfile still written, exit 9', async (t) => {
  if (!requirePromtool(t)) return;
  await withSim(t, { nics: 1 }, async (node) => {
    const scratch = mkdtempSync(join(tmpdir(), 'metrics-hang-'));
    try {
      const dir = join(scratch, 'collector');
      mkdirSync(dir);
      const env = metricsEnv(node, scratch, { env: { SIM_RDMA_FAIL: 'hang' } });
      const started = Date.now();
      const r = await metricsCli(node, ['--timeout', '2', '--textfile', dir], env);
      const ms = Date.now() - started;
      assert.equal(r.exitCode, 9, r.stderr);
      assert.match(r.stderr, /^error: rdma did not answer within 2 s/m);
      assert.ok(ms < 15_000, `ends on time: ${ms} ms`);
      const text = readFileSync(join(dir, 'asm_erdma.prom'), 'utf8');
      assert.deepEqual(await promtoolCheckMetrics(text), { exitCode: 0, output: '' });
      assert.equal(seriesValue(text, 'asm_erdma_check{id="erdma-devices",state="fail"}'), 1);
      assert.equal(seriesValue(text, 'asm_erdma_ready'), 0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

test("metrics does not wait for setup's lock: it answers while a setup holds it", async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    // A setup stuck on a hanging rdma holds the lock until its deadline.
    const setup = startCli(node, ['setup', '-v', '--timeout', '10'], { SIM_RDMA_FAIL: 'hang' });
    await setup.waitFor(/rdma/);
    const scratch = mkdtempSync(join(tmpdir(), 'metrics-lock-'));
    try {
      const r = await metricsCli(node, ['--json'], metricsEnv(node, scratch));
      assert.equal(r.exitCode, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { command: string; textfile: null; families: { name: string }[] };
      assert.equal(doc.command, 'metrics');
      assert.ok(doc.families.some((f) => f.name === 'asm_erdma_ready'));
      assert.doesNotMatch(r.stderr, /another asm-erdma run is in progress/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    assert.equal((await setup.done).exitCode, 9, 'the stuck setup ends at its own deadline');
  });
});
