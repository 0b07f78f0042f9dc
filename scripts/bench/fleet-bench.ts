/**
 * Benchmark (npm run bench:fleet): deploy/ansible/site.yml over real ssh on 3 simulated nodes against the same
 * playbook limited to 1 node. Before every run each node is put back to a fresh state (NICs reset, unit and
 * binary removed) so every run does the whole job. Runs alternate (1 node, 3 nodes, …) after one warm-up run;
 * the median of each is reported. Target: 3 nodes ≤ 2 × 1 node (forks run the hosts in parallel). Exit 1 when
 * the target is missed or a run fails.
 */
import { Fleet } from '../sim/fleet.js';
import { simUnavailableReason } from '../sim/sim-node.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const LIMIT = 2;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function fresh(fleet: Fleet): Promise<void> {
  for (const node of fleet.nodes) {
    const cli = fleet.binary;
    const r = await node.shell(`${cli} reset && ${cli} uninstall-service && rm -f /usr/local/bin/asm-erdma`);
    if (r.exitCode !== 0) throw new Error(`${node.name}: could not start fresh: ${r.stderr}`);
  }
}

async function timedRun(fleet: Fleet, limit?: string): Promise<number> {
  const r = await fleet.playbook(limit ? { limit } : {});
  if (r.exitCode !== 0) throw new Error(`playbook failed:\n${r.stdout.slice(-4000)}\n${r.stderr}`);
  const hosts = [...r.recap.values()];
  if (hosts.length !== (limit ? 1 : fleet.nodes.length) || hosts.some((h) => h.changed === 0)) {
    throw new Error(`unexpected recap:\n${r.stdout.slice(-2000)}`);
  }
  return r.ms;
}

const why = await simUnavailableReason();
if (why) {
  process.stderr.write(`bench:fleet: ${why}\n`);
  process.exit(1);
}
const fleet = await Fleet.create({ nodes: 3, nics: 2 });
const one: number[] = [];
const three: number[] = [];
try {
  await timedRun(fleet); // warm-up: ssh control masters, page cache
  for (let i = 0; i < REPS; i++) {
    await fresh(fleet);
    one.push(await timedRun(fleet, 'node1'));
    await fresh(fleet);
    three.push(await timedRun(fleet));
  }
} finally {
  await fleet.destroy();
}
const ratio = median(three) / median(one);
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
process.stdout.write(
  [
    `ansible-playbook site.yml wall time from a fresh node, median of ${REPS}`,
    '(forks 10, pipelining, ssh ControlPersist)',
    '',
    '| nodes | wall time |',
    '|---:|---:|',
    `| 1 | ${s(median(one))} |`,
    `| 3 | ${s(median(three))} |`,
    '',
    '| target | measured | limit |',
    '|---|---:|---:|',
    `| 3 nodes / 1 node | ${ratio.toFixed(2)}× | ≤ ${LIMIT}× |`,
    '',
  ].join('\n'),
);
process.exit(ratio <= LIMIT ? 0 : 1);
