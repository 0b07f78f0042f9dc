import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT } from '../../scripts/sim/sim-node.js';
import type { DiagSample } from '../../src/core/smcss.js';
import { runCli } from '../helpers/cli.js';

// diag reads only smcss and /sys: it needs no network namespace and touches no NIC.
const SMCSS = join(REPO_ROOT, 'scripts/standins/smc');
const FIXTURES = join(REPO_ROOT, 'test/fixtures/smc');

/** One sample as --json prints it: the core type the command serialises. */
type Sample = DiagSample;

/** A /sys with (or without) the smc module, and a PATH with (or without) the stand-in smcss. */
interface DiagRun {
  sockets?: string;
  smc?: boolean;
  smcss?: boolean;
  env?: Record<string, string>;
}

async function diag(args: string[], o: DiagRun = {}) {
  const root = mkdtempSync(join(tmpdir(), 'asm-erdma-diag-'));
  try {
    if (o.smc ?? true) mkdirSync(join(root, 'sys/module/smc'), { recursive: true });
    const path = `${(o.smcss ?? true) ? `${SMCSS}:` : ''}/usr/bin:/bin`;
    const sockets = join(FIXTURES, o.sockets ?? 'sockets-mixed.txt');
    const env = { PATH: path, ASM_ERDMA_SYSROOT: root, SIM_SMCSS_SOCKETS: sockets, ...o.env };
    return await runCli(['diag', ...args], { env });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test("the stand-in smcss prints exactly what smc-tools' smcss prints (-a -W, no option, -R)", async () => {
  const env = { SIM_SMCSS_SOCKETS: join(FIXTURES, 'sockets-mixed.txt') };
  const cases = [
    [['-a', '-W'], 'smcss-a-W-mixed.out'],
    [[], 'smcss-mixed.out'],
    [['-R'], 'smcss-R-mixed.out'],
  ] as const;
  for (const [args, out] of cases) {
    const r = await execa(join(SMCSS, 'smcss'), [...args], { env, stripFinalNewline: false });
    assert.equal(r.stdout, readFileSync(join(FIXTURES, out), 'utf8'), `smcss ${args.join(' ')}`);
  }
  const bad = await execa(join(SMCSS, 'smcss'), ['-x'], { reject: false, env });
  assert.equal(bad.exitCode, 1);
  assert.match(String(bad.stderr), /^smcss: invalid option -- 'x'\nUsage: smcss \[ OPTIONS \]/);
});

test('every connection over SMC-R: exit 0 and says so', async () => {
  const r = await diag([], { sockets: 'sockets-smcr.txt' });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '2 SMC connections: 2 SMC-R, 0 fell back to TCP; 1 listening socket');
  assert.equal(r.stderr, '');
});

test('some fell back: exit 16, grouped by reason in words, with peers and a fix each', async () => {
  const r = await diag([]);
  assert.equal(r.exitCode, 16, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '7 SMC connections: 2 SMC-R, 5 fell back to TCP; 1 listening socket');
  assert.match(lines[1] ?? '', /^ +3 {2}0x03030002 {2}NOSMCRDEV: no SMC-R device for the route to the peer/);
  assert.equal(lines[2], '        peers: ::ffff:192.168.0.40 (2), 192.168.0.41 (1)');
  assert.match(lines[3] ?? '', /^ +fix: asm-erdma status on both nodes; asm-erdma setup/);
  assert.match(r.stdout, /^ +1 {2}0x03070000 {2}DIFFPREFIX: the two ends are not in the same IP subnet/m);
  assert.match(
    r.stdout,
    /^ +1 {2}0x05000000\/0x03010000 {2}PEERDECL\/PEERNOSMC: the peer declined SMC; its reason, seen from the peer:/m,
  );
});

test('--json: one document with counts and decoded reasons', async () => {
  const r = await diag(['--json']);
  assert.equal(r.exitCode, 16, r.stderr);
  const doc = JSON.parse(r.stdout) as Sample & { command: string; at: string };
  assert.equal(doc.command, 'diag');
  assert.match(doc.at, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual([doc.connections, doc.smcr, doc.fellBack, doc.listening], [7, 2, 5, 1]);
  assert.deepEqual(doc.reasons[0], {
    code: '0x03030002',
    name: 'NOSMCRDEV',
    peerName: null,
    meaning:
      'no SMC-R device for the route to the peer: the eRDMA NIC is missing, down, or has no address in the ' +
      'subnet the connection uses',
    fix: 'asm-erdma status on both nodes; asm-erdma setup where a NIC is not ready',
    count: 3,
    peers: [
      { address: '::ffff:192.168.0.40', count: 2 },
      { address: '192.168.0.41', count: 1 },
    ],
  });
});

test('without smcss, or without the smc module: one line, exit 8', async () => {
  const noTool = await diag([], { smcss: false });
  assert.equal(noTool.exitCode, 8);
  assert.equal(
    noTool.stderr,
    'error: cannot look at SMC sockets: smcss is not installed (smc-tools) (yum install -y smc-tools)',
  );
  assert.equal(noTool.stdout, '');
  const noSmc = await diag(['--json'], { smc: false });
  assert.equal(noSmc.exitCode, 8);
  assert.equal(
    noSmc.stderr,
    'error: cannot look at SMC sockets: the smc kernel module is not loaded (no connection can use SMC) ' +
      '(modprobe smc)',
  );
  assert.equal((JSON.parse(noSmc.stdout) as { error: { code: number } }).error.code, 8);
});

test('an smcss that fails is an unusable tool: exit 8 with its own words', async () => {
  const r = await diag([], { env: { SIM_SMCSS_FAIL: 'socket' } });
  assert.equal(r.exitCode, 8);
  assert.equal(
    r.stderr,
    "error: 'smcss -a -W' failed: Error: Cannot open netlink socket: Address family not supported by protocol " +
      '(modprobe smc_diag, then run it again as root)',
  );
});

test('--watch with --count samples that many times; --count alone is a usage error', async () => {
  const r = await diag(['--watch', '0.1', '--count', '3', '--json']);
  assert.equal(r.exitCode, 16, r.stderr);
  const doc = JSON.parse(r.stdout) as { command: string; intervalSeconds: number; samples: Sample[] };
  assert.equal(doc.intervalSeconds, 0.1);
  assert.deepEqual(
    doc.samples.map((s) => s.fellBack),
    [5, 5, 5],
  );
  const human = await diag(['--watch', '0.1', '--count', '2'], { sockets: 'sockets-smcr.txt' });
  assert.equal(human.exitCode, 0);
  assert.deepEqual(
    human.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(/^\d\d:\d\d:\d\d {2}/, '')),
    [
      '2 SMC connections: 2 SMC-R, 0 fell back to TCP; 1 listening socket',
      '2 SMC connections: 2 SMC-R, 0 fell back to TCP; 1 listening socket',
    ],
  );
  const bad = await diag(['--count', '2']);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /^error: --count needs --watch/);
  assert.equal((await diag(['--watch', '0'])).exitCode, 2);
});

test('--watch without --count ends on SIGINT after the samples so far, with their exit code', async () => {
  const root = mkdtempSync(join(tmpdir(), 'asm-erdma-diag-'));
  mkdirSync(join(root, 'sys/module/smc'), { recursive: true });
  try {
    const child = spawn(process.execPath, [CLI, 'diag', '--watch', '30'], {
      env: {
        PATH: `${SMCSS}:/usr/bin:/bin`,
        ASM_ERDMA_SYSROOT: root,
        SIM_SMCSS_SOCKETS: join(FIXTURES, 'sockets-mixed.txt'),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The first sample is printed at once; then it waits 30 s, which SIGINT cuts short.
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('fell back to TCP')) resolve();
      }),
    );
    const started = performance.now();
    child.kill('SIGINT');
    assert.equal(await exited, 16);
    assert.ok(performance.now() - started < 10_000, 'ended soon after SIGINT, not after 30 s');
    assert.equal(out.match(/SMC connections:/g)?.length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
