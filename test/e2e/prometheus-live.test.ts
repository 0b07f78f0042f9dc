import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type SimNode } from '../../scripts/sim/sim-node.js';
import { metricsCli, metricsEnv } from '../helpers/metrics-run.js';
import { prerequisite, withSim } from '../helpers/sim.js';

// A real node_exporter (textfile collector) serving what `metrics --textfile` wrote, scraped by a real Prometheus
// that evaluates the shipped alert rules; both listen on 127.0.0.1 inside the simulated node's network namespace,
// and the test asks Prometheus's HTTP API from inside it too.

const PROMETHEUS = '/usr/bin/prometheus';
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const RULES = join(REPO_ROOT, 'deploy/prometheus/asm-erdma.rules.yml');
const API = 'http://127.0.0.1:9090/api/v1';

interface Daemon {
  stop(): Promise<void>;
  output(): string;
}

/** Starts a daemon in the node's network namespace (ip netns exec execs it: the child's PID is the daemon's). */
function startDaemon(node: SimNode, argv: string[]): Daemon {
  const child = spawn('ip', ['netns', 'exec', node.ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid as number, 'SIGTERM');
      const killed = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query, asked from inside the namespace; undefined while Prometheus is not answering yet. */
async function query(node: SimNode, promql: string): Promise<Vector[] | undefined> {
  const r = await node.exec('curl', [
    '-sf',
    '--max-time',
    '2',
    '-G',
    `${API}/query`,
    '--data-urlencode',
    `query=${promql}`,
  ]);
  if (r.exitCode !== 0) return undefined;
  const doc = JSON.parse(r.stdout) as { status: string; data: { result: Vector[] } };
  return doc.status === 'success' ? doc.data.result : undefined;
}

/** Polls `promql` until `accept` holds for its result; fails with the last result after `withinMs`. */
async function waitForQuery(
  node: SimNode,
  promql: string,
  accept: (v: Vector[]) => boolean,
  withinMs = 60_000,
): Promise<Vector[]> {
  const until = Date.now() + withinMs;
  let last: Vector[] | undefined;
  for (;;) {
    last = await query(node, promql);
    if (last && accept(last)) return last;
    if (Date.now() > until)
      assert.fail(`${promql} did not get there within ${withinMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const valueIs = (want: number) => (v: Vector[]) => v.length === 1 && Number(v[0]?.value[1]) === want;

test('real node_exporter + Prometheus: nic_configured 1 after setup, 0 after reset, and the alert fires', async (t) => {
  const missing = [PROMETHEUS, NODE_EXPORTER, '/usr/bin/curl'].find((p) => !existsSync(p));
  if (!prerequisite(t, missing && `${missing} is missing (scripts/dev-setup.sh installs it)`)) return;
  await withSim(t, { nics: 1 }, async (node) => {
    const scratch = mkdtempSync(join(tmpdir(), 'metrics-prometheus-'));
    const daemons: Daemon[] = [];
    try {
      const textfiles = join(scratch, 'textfile');
      mkdirSync(textfiles);
      // The shipped rules with every for: shortened to 2 s, so "fires after reset" is seen in seconds.
      const rules = join(scratch, 'rules.yml');
      writeFileSync(rules, readFileSync(RULES, 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 2s'));
      const config = join(scratch, 'prometheus.yml');
      writeFileSync(
        config,
        [
          'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
          `rule_files: ['${rules}']`,
          "scrape_configs: [{ job_name: node, static_configs: [{ targets: ['127.0.0.1:9100'] }] }]",
          '',
        ].join('\n'),
      );
      const env = metricsEnv(node, scratch);
      const writeMetrics = async (): Promise<void> => {
        const r = await metricsCli(node, ['--textfile', textfiles], env);
        assert.equal(r.exitCode, 0, r.stderr);
      };
      assert.equal((await node.cli(['setup'])).exitCode, 0);
      await writeMetrics();
      daemons.push(
        startDaemon(node, [
          NODE_EXPORTER,
          '--web.listen-address=127.0.0.1:9100',
          '--collector.disable-defaults',
          '--collector.textfile',
          `--collector.textfile.directory=${textfiles}`,
        ]),
        startDaemon(node, [
          PROMETHEUS,
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(scratch, 'tsdb')}`,
          '--web.listen-address=127.0.0.1:9090',
        ]),
      );
      const nic = node.nics[0] as { name: string; mac: string };
      const series = `asm_erdma_nic_configured{ifname="${nic.name}",mac="${nic.mac}"}`;
      await waitForQuery(node, series, valueIs(1));
      assert.deepEqual(await query(node, 'ALERTS{alertname="AsmErdmaNicNotConfigured"}'), []);
      // node_exporter exports the file's mtime, which the stale-metrics alert watches.
      await waitForQuery(node, 'node_textfile_mtime_seconds{file=~".*asm_erdma.prom"}', (v) => v.length === 1);

      assert.equal((await node.cli(['reset'])).exitCode, 0);
      await writeMetrics();
      await waitForQuery(node, series, valueIs(0));
      const firing = await waitForQuery(
        node,
        'ALERTS{alertname="AsmErdmaNicNotConfigured",alertstate="firing"}',
        (v) => v.length === 1,
      );
      assert.equal(firing[0]?.metric.ifname, nic.name);
      assert.equal(firing[0]?.metric.severity, 'critical');
    } catch (e) {
      for (const d of daemons) t.diagnostic(d.output().split('\n').slice(-15).join('\n'));
      throw e;
    } finally {
      for (const d of daemons) await d.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
