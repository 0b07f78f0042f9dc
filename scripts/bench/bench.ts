/**
 * Benchmark (npm run bench): every ratio is measured side by side in one run, the commands alternating
 * (A B C …, A B C …) so machine noise hits all of them; medians are reported. Not a test: it prints a table and
 * exits 1 when a target is missed.
 *  1. Start-up: cold `asm-erdma --version` of the dev launcher, the npm install and the standalone binary against
 *     `node -e 0` (target ≤ 1.3×).
 *  2. RPM sizes (target ≤ 25 MB each).
 *  3. setup in the node simulator with 50 ms metadata latency against the legacy script's algorithm, at 1, 4 and
 *     8 NICs (targets: 4 NICs ≤ 0.22× legacy; 8 NICs ≤ 1.15× 1 NIC); status on 2 NICs against setup
 *     (≤ 1.2×); peak RSS of setup (≤ 50 MB, /usr/bin/time's maximum resident set).
 *  4. metrics against status on 2 configured NICs, smcss (the stand-in) listing fallbacks (≤ 1.3×).
 *  5. setup at 1 ms metadata latency against the least a Node program must do for the same result
 *     (scripts/bench/node-floor-setup.mjs: the same reads, requests and one ip -batch, nothing else loaded),
 *     both run the same way inside the node (target ≤ 1.15×).
 * Builds the release it measures (scripts/package/release.js, about three minutes) unless BENCH_RELEASE=DIR names one.
 *  6. diag over 100 pod network namespaces against one namespace (target: ≤ 2 s).
 * BENCH_ONLY=startup,setup,status,metrics,floor,diag runs only those sections (startup includes the RPM sizes and the
 * release build).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { netnsParallelism } from '../../src/core/smc-namespaces.js';
import { podsUnavailableReason, runOnPodNode } from '../sim/pods.js';
import { CLI, REPO_ROOT, SimNode, simUnavailableReason } from '../sim/sim-node.js';

const LEGACY = join(REPO_ROOT, 'scripts/legacy/asm_erdma_eth_config.sh');
const LATENCY_MS = 50;
const REPS = Number(process.env.BENCH_REPS ?? 7);
const START_REPS = Number(process.env.BENCH_START_REPS ?? 21);
/** setup vs the floor differ by a few ms in ~90: more rounds than elsewhere keep the ratio's median steady. */
const FLOOR_REPS = Number(process.env.BENCH_FLOOR_REPS ?? 31);
const SIZES = [1, 4, 8];
const DIAG_PODS = 100;
const SECTIONS = (process.env.BENCH_ONLY ?? 'startup,setup,status,metrics,floor,diag').split(',').map((x) => x.trim());
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
/** Median of the per-round ratios a[i] / b[i] (rounds alternate, so a load change hits both sides of one ratio). */
const ratio = (a: number[], b: number[]): number => median(a.map((x, i) => x / (b[i] as number)));
const fmt = (ms: number): string => `${Math.round(ms)} ms`;
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

interface Target {
  name: string;
  value: number;
  limit: number;
  unit: string;
}
const targets: Target[] = [];
const out: string[] = [];

/** The release to measure: the standalone binaries and RPMs, and an npm install of the tarball. */
function prepare(): { dir: string; npmBin: string; cleanup: () => void } {
  const scratch = mkdtempSync(join(tmpdir(), 'asm-erdma-bench-'));
  let dir = process.env.BENCH_RELEASE;
  if (!dir) {
    dir = join(scratch, 'release');
    log('building the release (standalone binaries, RPMs)…');
    const script = join(REPO_ROOT, 'scripts/package/release.js');
    execFileSync(process.execPath, [script, '--out', dir, '--no-npm'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  // dist/ was just built by `npm run bench`: pack it as it is (prepack would rebuild dist/ under our feet).
  const pack = ['pack', '--silent', '--ignore-scripts', '--pack-destination', scratch];
  execFileSync('npm', pack, { cwd: REPO_ROOT, stdio: 'ignore' });
  const prefix = join(scratch, 'prefix');
  const tgz = join(scratch, `asm-erdma-${VERSION}.tgz`);
  execFileSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tgz], {
    stdio: 'ignore',
  });
  const cleanup = () => rmSync(scratch, { recursive: true, force: true });
  return { dir, npmBin: join(prefix, 'bin/asm-erdma'), cleanup };
}

function wallMs(argv: string[]): number {
  const [file = '', ...args] = argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function startup(rel: { dir: string; npmBin: string }): void {
  const commands: [string, string[]][] = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['dev build: node bin/asm-erdma.js --version', [process.execPath, CLI, '--version']],
    ['npm install -g: asm-erdma --version', [rel.npmBin, '--version']],
    ['standalone binary: asm-erdma-linux-x64 --version', [join(rel.dir, 'asm-erdma-linux-x64'), '--version']],
  ];
  for (const [, argv] of commands) wallMs(argv); // warm the page cache: "cold" is a new process, not a cold disk
  const times = commands.map(() => [] as number[]);
  const ratios = commands.map(() => [] as number[]);
  for (let i = 0; i < START_REPS; i++) {
    const round = commands.map(([, argv]) => wallMs(argv));
    round.forEach((ms, j) => {
      times[j]?.push(ms);
      ratios[j]?.push(ms / (round[0] as number));
    });
  }
  out.push(
    `Start-up: wall time of a new process, median of ${START_REPS} alternating rounds;` +
      ' ratio = median of the per-round ratios',
    '',
    '| command | median | vs `node -e 0` |',
    '|---|---:|---:|',
  );
  commands.forEach(([name], j) => {
    const ratio = median(ratios[j] as number[]);
    out.push(`| ${name} | ${fmt(median(times[j] as number[]))} | ${j === 0 ? '1.00×' : `${ratio.toFixed(2)}×`} |`);
    const what = `${name.split(':')[0]} cold --version / node -e 0`;
    if (j > 0) targets.push({ name: what, value: ratio, limit: 1.3, unit: '×' });
  });
}

function rpmSizes(dir: string): void {
  out.push('', '| RPM | size |', '|---|---:|');
  for (const arch of ['x86_64', 'aarch64']) {
    const name = `asm-erdma-${VERSION}-1.al8.${arch}.rpm`;
    const mb = statSync(join(dir, name)).size / 1e6;
    out.push(`| ${name} | ${mb.toFixed(1)} MB |`);
    targets.push({ name: `${arch} RPM size`, value: mb, limit: 25, unit: ' MB' });
  }
}

async function timed(run: () => Promise<{ exitCode: number; stderr: string }>, ok = [0]): Promise<number> {
  const started = performance.now();
  const r = await run();
  const ms = performance.now() - started;
  if (!ok.includes(r.exitCode)) throw new Error(`benchmark run failed (${r.exitCode}): ${r.stderr}`);
  return ms;
}

/** Peak RSS (MB) of one `setup`, as GNU time reports the child's maximum resident set. */
async function setupPeakMb(node: SimNode): Promise<number> {
  const r = await node.exec('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, CLI, 'setup'], node.cliEnv());
  const kb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
  if (r.exitCode !== 0 || !kb) throw new Error(`setup under /usr/bin/time failed: ${r.stderr}`);
  return kb / 1024;
}

/**
 * Every size's node is built first and the sizes alternate within each round (1, 4, 8, 1, 4, 8…), like the
 * commands in the other sections: measured one size after the other, a load change between them (another test
 * suite starting) showed up as an 8-NIC / 1-NIC ratio of 1.7× on an unchanged build.
 */
async function setupVsLegacy(): Promise<void> {
  const peaks: number[] = [];
  const nodes: SimNode[] = [];
  const ours = SIZES.map(() => [] as number[]);
  const legacy = SIZES.map(() => [] as number[]);
  try {
    for (const n of SIZES) nodes.push(await SimNode.create({ nics: n, latencyMs: LATENCY_MS, tokenMode: 'optional' }));
    for (let i = 0; i < REPS; i++) {
      for (const [j, node] of nodes.entries()) {
        ours[j]?.push(await timed(() => node.cli(['setup'])));
        await node.cli(['reset']);
        legacy[j]?.push(await timed(() => node.exec('bash', [LEGACY, '-s'], node.cliEnv())));
        await node.exec('bash', [LEGACY, '-r'], node.cliEnv());
      }
    }
    const four = nodes[SIZES.indexOf(4)] as SimNode;
    for (let i = 0; i < 3; i++) {
      peaks.push(await setupPeakMb(four));
      await four.cli(['reset']);
    }
  } finally {
    for (const node of nodes) await node.destroy();
  }
  const at = (n: number) => ({
    ours: ours[SIZES.indexOf(n)] as number[],
    legacy: legacy[SIZES.indexOf(n)] as number[],
  });
  out.push(
    '',
    `setup wall time, median of ${REPS} rounds alternating the sizes, metadata latency ${LATENCY_MS} ms` +
      ' (each run includes `ip netns exec` and process start); ratio = median of the per-round ratios',
    '',
    '| eRDMA NICs | asm-erdma setup | legacy script | asm-erdma / legacy |',
    '|---:|---:|---:|---:|',
    ...SIZES.map((n) => {
      const r = at(n);
      return `| ${n} | ${fmt(median(r.ours))} | ${fmt(median(r.legacy))} | ${ratio(r.ours, r.legacy).toFixed(2)}× |`;
    }),
  );
  targets.push({
    name: 'setup(4 NICs) / legacy(4 NICs)',
    value: ratio(at(4).ours, at(4).legacy),
    limit: 0.22,
    unit: '×',
  });
  targets.push({ name: 'setup(8 NICs) / setup(1 NIC)', value: ratio(at(8).ours, at(1).ours), limit: 1.15, unit: '×' });
  targets.push({ name: 'peak RSS of setup (4 NICs), MB', value: median(peaks), limit: 50, unit: ' MB' });
}

async function statusVsSetup(): Promise<void> {
  const node = await SimNode.create({ nics: 2, latencyMs: LATENCY_MS, tokenMode: 'optional' });
  try {
    const setup: number[] = [];
    const status: number[] = [];
    for (let i = 0; i < REPS; i++) {
      setup.push(await timed(() => node.cli(['setup'])));
      // 14: a readiness check failed (the simulator has no SMC kernel module); status still ran every check.
      status.push(await timed(() => node.cli(['status']), [0, 14]));
      await node.cli(['reset']);
    }
    out.push(
      '',
      `status vs setup on 2 NICs, median of ${REPS}: status ${fmt(median(status))}, setup ${fmt(median(setup))}`,
    );
    targets.push({ name: 'status(2 NICs) / setup(2 NICs)', value: ratio(status, setup), limit: 1.2, unit: '×' });
  } finally {
    await node.destroy();
  }
}

/**
 * diag over 100 pod network namespaces (each with SMC-R and fallen-back connections, tcp2smc on) against the same
 * node read in one namespace (`--pod`: discovery is the same, one namespace is entered). Target: ≤ 2 s.
 */
async function diagNamespaces(): Promise<void> {
  const why = await podsUnavailableReason();
  if (why) throw new Error(why);
  const sockets =
    'ACTIVE 0 41001 10.1.0.5:40001 10.1.0.9:8080 3 SMCR CLNT erdma_0 1 1 fe80::1 fe80::2\n' +
    'ACTIVE 0 41002 10.1.0.5:40002 10.1.0.9:8080 3 SMCR CLNT erdma_0 1 1 fe80::1 fe80::2\n' +
    'ACTIVE 0 42000 10.1.0.5:8080 192.168.0.40:39999 2 TCP 0x03030002\n';
  const pods = Array.from({ length: DIAG_PODS }, (_, i) => ({
    namespace: 'bench',
    name: `p-${String(i).padStart(3, '0')}`,
    driver: i % 2 === 0 ? ('systemd' as const) : ('cgroupfs' as const),
    tcp2smc: '1',
    sockets,
  }));
  const runs = Array.from({ length: REPS }, () => [
    { args: ['diag', '--json'] },
    { args: ['diag', '--json', '--pod', 'p-000'] },
  ]).flat();
  const results = await runOnPodNode({ pods, hostTcp2smc: '0', runs });
  const bad = results.find((r) => r.exitCode !== 16);
  if (bad) throw new Error(`diag exited ${bad.exitCode}: ${bad.stderr}`);
  const all = results.filter((_, i) => i % 2 === 0).map((r) => r.ms);
  const one = results.filter((_, i) => i % 2 === 1).map((r) => r.ms);
  out.push(
    '',
    `diag over ${DIAG_PODS} pod namespaces (+ host) vs 1 namespace (--pod), median of ${REPS}: ` +
      `${fmt(median(all))} vs ${fmt(median(one))} (${ratio(all, one).toFixed(2)}×; ` +
      `parallelism ${netnsParallelism(availableParallelism())})`,
  );
  targets.push({ name: `diag over ${DIAG_PODS} pod namespaces, s`, value: median(all) / 1000, limit: 2, unit: ' s' });
}

/**
 * metrics is status's checks plus one smcss reading (run alongside them): on a configured node with the smc module
 * "loaded" (a scratch /sys) and the stand-in smcss listing connections that fell back, both commands alternating.
 */
async function metricsVsStatus(): Promise<void> {
  const node = await SimNode.create({ nics: 2, latencyMs: LATENCY_MS, tokenMode: 'optional' });
  const sysroot = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
  try {
    mkdirSync(join(sysroot, 'sys/module/smc'), { recursive: true });
    const env = {
      PATH: `${join(REPO_ROOT, 'scripts/standins/smc')}:${node.cliEnv().PATH}`,
      ASM_ERDMA_SYSROOT: sysroot,
      SIM_SMCSS_SOCKETS: join(REPO_ROOT, 'test/fixtures/smc/sockets-mixed.txt'),
    };
    if ((await node.cli(['setup'])).exitCode !== 0) throw new Error('setup failed');
    const status: number[] = [];
    const metrics: number[] = [];
    for (let i = 0; i < REPS; i++) {
      // 14: some check fails in the simulator (no real SMC kernel); status still ran every check.
      status.push(await timed(() => node.cli(['status'], env), [0, 14]));
      metrics.push(await timed(() => node.cli(['metrics'], env)));
    }
    out.push(
      '',
      `metrics vs status on 2 NICs, median of ${REPS}: metrics ${fmt(median(metrics))}, status ${fmt(median(status))}`,
    );
    targets.push({ name: 'metrics(2 NICs) / status(2 NICs)', value: ratio(metrics, status), limit: 1.3, unit: '×' });
  } finally {
    rmSync(sysroot, { recursive: true, force: true });
    await node.destroy();
  }
}

const FLOOR = join(REPO_ROOT, 'scripts/bench/node-floor-setup.mjs');

/** A NIC back as the node had it: down, no IPv4 address (between rounds; setup's record is dropped too). */
async function unconfigure(node: SimNode): Promise<void> {
  for (const nic of node.nics) {
    await node.exec('ip', ['addr', 'flush', 'dev', nic.name]);
    await node.exec('ip', ['link', 'set', nic.name, 'down']);
  }
  rmSync(join(node.dir, 'run'), { recursive: true, force: true });
}

async function setupVsFloor(): Promise<void> {
  const node = await SimNode.create({ nics: 2, latencyMs: 1, tokenMode: 'optional' });
  try {
    const ours: number[] = [];
    const floor: number[] = [];
    const runFloor = async () => floor.push(await timed(() => node.exec(process.execPath, [FLOOR], node.cliEnv())));
    const runOurs = async () => ours.push(await timed(() => node.cli(['setup'])));
    for (let i = 0; i < FLOOR_REPS; i++) {
      // Which goes first alternates, so neither always runs right after the other's clean-up.
      for (const run of i % 2 === 0 ? [runFloor, runOurs] : [runOurs, runFloor]) {
        await run();
        await unconfigure(node);
      }
    }
    out.push(
      '',
      `setup vs the Node floor (${FLOOR.slice(REPO_ROOT.length + 1)}) on 2 NICs, 1 ms metadata latency, median of ` +
        `${FLOOR_REPS}: setup ${fmt(median(ours))}, floor ${fmt(median(floor))}`,
    );
    targets.push({ name: 'setup(2 NICs, 1 ms) / Node floor', value: ratio(ours, floor), limit: 1.15, unit: '×' });
  } finally {
    await node.destroy();
  }
}

const why = await simUnavailableReason();
if (why) {
  process.stderr.write(`bench: ${why}\n`);
  process.exit(1);
}
if (!existsSync('/usr/bin/time')) {
  process.stderr.write('bench: /usr/bin/time is not installed (scripts/dev-setup.sh installs it)\n');
  process.exit(1);
}
const rel = SECTIONS.includes('startup') ? prepare() : undefined;
try {
  const day = new Date().toISOString().slice(0, 10);
  out.push(`Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, ${day}`, '');
  if (rel) {
    log('start-up…');
    startup(rel);
    rpmSizes(rel.dir);
  }
  if (SECTIONS.includes('setup')) {
    log('setup vs legacy…');
    await setupVsLegacy();
  }
  if (SECTIONS.includes('status')) {
    log('status vs setup…');
    await statusVsSetup();
  }
  if (SECTIONS.includes('metrics')) {
    log('metrics vs status…');
    await metricsVsStatus();
  }
  if (SECTIONS.includes('floor')) {
    log('setup vs the Node floor…');
    await setupVsFloor();
  }
  if (SECTIONS.includes('diag')) {
    log(`diag over ${DIAG_PODS} pod namespaces…`);
    await diagNamespaces();
  }
} finally {
  rel?.cleanup();
}
out.push('', '| target | measured | limit | |', '|---|---:|---:|---|');
for (const t of targets) {
  const v = t.unit === '×' ? t.value.toFixed(2) : t.value.toFixed(1);
  out.push(`| ${t.name} | ${v}${t.unit} | ≤ ${t.limit}${t.unit} | ${t.value <= t.limit ? 'met' : 'MISSED'} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
process.exit(targets.every((t) => t.value <= t.limit) ? 0 : 1);
