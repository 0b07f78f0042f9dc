/** Runs `asm-erdma metrics` in a simulated node, with the stand-ins status uses, and lints what it prints. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { CLI, REPO_ROOT, type RunResult, type SimNode } from '../../scripts/sim/sim-node.js';
import { sysroot } from './node-tree.js';
import { prerequisite } from './sim.js';

const PKG = join(REPO_ROOT, 'scripts/standins/packages');
const SYSTEMD = join(REPO_ROOT, 'scripts/standins/systemd');
const SMC_TOOLS = join(REPO_ROOT, 'scripts/standins/smc');
export const SMC_FIXTURES = join(REPO_ROOT, 'test/fixtures/smc');

export interface MetricsRun {
  /** smc-tools on PATH and the smc modules loaded (default true). */
  smc?: boolean;
  /** The stand-in smcss's socket list (a file in test/fixtures/smc). */
  sockets?: string;
  args?: string[];
  env?: Record<string, string>;
}

/** The environment of a CLI run in `node` that reads the scratch tree `scratch` (status's stand-ins). */
export function metricsEnv(node: SimNode, scratch: string, o: MetricsRun = {}): Record<string, string> {
  const smc = o.smc ?? true;
  sysroot(
    join(scratch, 'root'),
    node.nics.map((n) => n.name),
    smc,
  );
  return {
    ...node.cliEnv(),
    PATH: `${PKG}:${SYSTEMD}:${smc ? `${SMC_TOOLS}:` : ''}${node.cliEnv().PATH}`,
    SIM_UNAME_R: '5.10.134-17.3.al8.x86_64',
    SIM_PKG_ROOT: join(scratch, 'pkgroot'),
    ASM_ERDMA_SYSROOT: join(scratch, 'root'),
    SIM_SMCSS_SOCKETS: join(SMC_FIXTURES, o.sockets ?? 'sockets-smcr.txt'),
    ...o.env,
  };
}

/**
 * `asm-erdma metrics ARGS` in `node`, alone: in a PID namespace of its own (its /proc lists only itself and its
 * tools) with an empty /run/netns, so the namespaces it reads SMC in are the node's, never the machine's or
 * other tests'. Its tools die with it (the namespace's init).
 */
export function metricsCli(node: SimNode, args: string[], env: Record<string, string>): Promise<RunResult> {
  const alone = 'mount -t tmpfs -o mode=0755 tmpfs /run/netns 2>/dev/null; exec "$@"';
  const unshare = ['--pid', '--fork', '--mount-proc', '--mount', '--propagation', 'private'];
  return node.exec('unshare', [...unshare, 'sh', '-c', alone, 'sh', process.execPath, CLI, 'metrics', ...args], env);
}

export async function runMetrics(node: SimNode, o: MetricsRun = {}): Promise<RunResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'asm-erdma-metrics-'));
  try {
    return await metricsCli(node, o.args ?? [], metricsEnv(node, scratch, o));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const PROMTOOL = '/usr/bin/promtool';

export function requirePromtool(t: TestContext): boolean {
  return prerequisite(t, existsSync(PROMTOOL) ? undefined : 'promtool is missing (scripts/dev-setup.sh installs it)');
}

/** `promtool check metrics`: exit code and its complaints (none when the text is clean). */
export async function promtoolCheckMetrics(text: string): Promise<{ exitCode: number; output: string }> {
  const r = await execa(PROMTOOL, ['check', 'metrics'], { input: text, reject: false });
  return { exitCode: r.exitCode ?? 1, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The value of one series (`name{a="b",…}` exactly as rendered), undefined when the text lacks it. */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
