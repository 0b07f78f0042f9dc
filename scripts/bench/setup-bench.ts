/**
 * Benchmark (npm run bench): `asm-erdma setup` against the legacy script's algorithm (3 sequential metadata
 * requests per NIC), side by side in the same simulated node with 50 ms metadata latency, at 1, 4 and 8 NICs.
 * Runs alternate (ours, legacy, ours, …) so machine noise hits both; the median of each is reported.
 * Targets: setup(4) ≤ 0.3 × legacy(4); setup(8) ≤ 1.3 × setup(1). Exit 1 when a target is missed.
 */
import { join } from 'node:path';
import { REPO_ROOT, SimNode, simUnavailableReason } from '../sim/sim-node.js';

const LEGACY = join(REPO_ROOT, 'scripts/legacy/asm_erdma_eth_config.sh');
const LATENCY_MS = 50;
const REPS = Number(process.env.BENCH_REPS ?? 7);
const SIZES = [1, 4, 8];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function timed(run: () => Promise<{ exitCode: number; stderr: string }>): Promise<number> {
  const started = performance.now();
  const r = await run();
  const ms = performance.now() - started;
  if (r.exitCode !== 0) throw new Error(`benchmark run failed: ${r.stderr}`);
  return ms;
}

async function measure(nics: number): Promise<{ ours: number; legacy: number }> {
  const node = await SimNode.create({ nics, latencyMs: LATENCY_MS, tokenMode: 'optional' });
  try {
    const ours: number[] = [];
    const legacy: number[] = [];
    for (let i = 0; i < REPS; i++) {
      ours.push(await timed(() => node.cli(['setup'])));
      await node.cli(['reset']);
      legacy.push(await timed(() => node.exec('bash', [LEGACY, '-s'], node.cliEnv())));
      await node.exec('bash', [LEGACY, '-r'], node.cliEnv());
    }
    return { ours: median(ours), legacy: median(legacy) };
  } finally {
    await node.destroy();
  }
}

const why = await simUnavailableReason();
if (why) {
  process.stderr.write(`bench: ${why}\n`);
  process.exit(1);
}
const rows = new Map<number, { ours: number; legacy: number }>();
for (const n of SIZES) rows.set(n, await measure(n));

const fmt = (ms: number): string => `${Math.round(ms)} ms`;
const lines = [
  `setup wall time, median of ${REPS}, metadata latency ${LATENCY_MS} ms (each run includes \`ip netns exec\` and process start)`,
  '',
  '| eRDMA NICs | asm-erdma setup | legacy script | asm-erdma / legacy |',
  '|---:|---:|---:|---:|',
  ...SIZES.map((n) => {
    const r = rows.get(n) as { ours: number; legacy: number };
    return `| ${n} | ${fmt(r.ours)} | ${fmt(r.legacy)} | ${(r.ours / r.legacy).toFixed(2)}× |`;
  }),
];
const at = (n: number) => rows.get(n) as { ours: number; legacy: number };
const vsLegacy = at(4).ours / at(4).legacy;
const scaling = at(8).ours / at(1).ours;
const targets = [
  { name: 'setup(4 NICs) / legacy(4 NICs)', value: vsLegacy, limit: 0.3 },
  { name: 'setup(8 NICs) / setup(1 NIC)', value: scaling, limit: 1.3 },
];
lines.push('', '| target | measured | limit | |', '|---|---:|---:|---|');
for (const t of targets) lines.push(`| ${t.name} | ${t.value.toFixed(2)}× | ≤ ${t.limit}× | ${t.value <= t.limit ? 'met' : 'MISSED'} |`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(targets.every((t) => t.value <= t.limit) ? 0 : 1);
