import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { podsUnavailableReason, runOnPodNode, SMC_STANDIN, type SimPod } from '../../scripts/sim/pods.js';
import { CLI, REPO_ROOT } from '../../scripts/sim/sim-node.js';
import type { NamespaceRow, NamespacesSample } from '../../src/core/smc-namespaces.js';
import { availableParallelism } from 'node:os';
import { netnsParallelism } from '../../src/core/smc-namespaces.js';
import { runCli } from '../helpers/cli.js';
import { prerequisite } from '../helpers/sim.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/smc');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const HEADER = 'State          UID   Inode   Local Address           Peer Address            Intf Mode ';

type Doc = NamespacesSample & { command: string };

let unavailable: Promise<string | undefined> | undefined;
async function requirePods(t: TestContext): Promise<boolean> {
  unavailable ??= podsUnavailableReason();
  return prerequisite(t, await unavailable);
}

const smcr = (n: number): string =>
  `ACTIVE 0 ${41000 + n} 10.1.0.5:${40000 + n} 10.1.0.9:8080 3 SMCR CLNT erdma_0 1 1 fe80::1 fe80::2\n`;
const tcp = (reason: string, peer = '192.168.0.40'): string =>
  `ACTIVE 0 42000 10.1.0.5:8080 ${peer}:39999 2 TCP ${reason}\n`;

test("the stand-in smcss prints exactly what smc-tools' smcss prints (-a -W, no option, -R)", async () => {
  const env = { SIM_SMCSS_SOCKETS: join(FIXTURES, 'sockets-mixed.txt') };
  const cases = [
    [['-a', '-W'], 'smcss-a-W-mixed.out'],
    [[], 'smcss-mixed.out'],
    [['-R'], 'smcss-R-mixed.out'],
  ] as const;
  for (const [args, out] of cases) {
    const r = await execa(join(SMC_STANDIN, 'smcss'), [...args], { env, stripFinalNewline: false });
    assert.equal(r.stdout, fixture(out), `smcss ${args.join(' ')}`);
  }
  const bad = await execa(join(SMC_STANDIN, 'smcss'), ['-x'], { reject: false, env });
  assert.equal(bad.exitCode, 1);
  assert.match(String(bad.stderr), /^smcss: invalid option -- 'x'\nUsage: smcss \[ OPTIONS \]/);
  // Without smc_diag (smcss.c: print_header(), then rtnl_dump()'s perror with errno 0), exit 1.
  const noDiag = await execa(join(SMC_STANDIN, 'smcss'), ['-a', '-W'], {
    reject: false,
    env: { ...env, SIM_SMCSS_FAIL: 'nodiag' },
    stripFinalNewline: false,
  });
  assert.deepEqual([noDiag.exitCode, noDiag.stdout, noDiag.stderr], [1, `${HEADER}\n`, 'RTNETLINK answers: Success\n']);
});

test('the stand-in smcss answers for the network namespace it runs in', async (t) => {
  if (!(await requirePods(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'diag-ns-standin-'));
  try {
    // In a namespace of its own: its inode names its socket list; a namespace without one has no sockets.
    const script =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
      'i=$(readlink /proc/self/ns/net); i=${i#net:[}; i=${i%]}; cp "$1" "$SIM_SMCSS_NETNS/$i"; smcss -a -W; ' +
      'unshare --net smcss -a -W';
    const r = await execa('unshare', ['--net', 'sh', '-c', script, 'sh', join(FIXTURES, 'sockets-smcr.txt')], {
      env: { PATH: `${SMC_STANDIN}:/usr/bin:/bin`, SIM_SMCSS_NETNS: dir },
    });
    const ours = fixture('smcss-a-W-mixed.out').split('\n').slice(0, 1).join('\n');
    assert.equal(r.stdout.split('\n')[0], ours);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('State')).length, 2);
    assert.equal(
      r.stdout.split('\n').filter((l) => / SMCR\s*$/.test(l)).length,
      2,
      'only the first namespace has sockets',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The node of the main scenario: pods in both cgroup drivers and every QoS class, one without a log directory,
 * one namespace no pod owns, fillers so that every slot of diag's pool is taken, and one pod (sorted last) that
 * ends while the first run is past discovery.
 */
function mainPods(): SimPod[] {
  const fillers = Math.max(0, netnsParallelism(availableParallelism()) - 6);
  return [
    {
      namespace: 'shop',
      name: 'cart-0',
      driver: 'systemd',
      qos: 'burstable',
      tcp2smc: '1',
      sockets: smcr(1) + tcp('0x03030002') + tcp('0x03030002'),
    },
    {
      namespace: 'shop',
      name: 'api-0',
      driver: 'cgroupfs',
      qos: 'guaranteed',
      tcp2smc: '1',
      sockets: fixture('sockets-smcr.txt'),
    },
    { namespace: 'web', name: 'front-0', driver: 'cgroupfs', qos: 'besteffort', tcp2smc: '0' },
    { namespace: 'web', name: 'idle-0', driver: 'systemd', qos: 'guaranteed', tcp2smc: '1' },
    {
      namespace: 'lost',
      name: 'nolog-0',
      tcp2smc: '1',
      logDir: false,
      sockets: tcp('0x05000000/0x03010000', '192.168.0.41'),
    },
    ...Array.from({ length: fillers }, (_, i) => ({ namespace: 'fill', name: `f-${i}`, tcp2smc: '0' })),
    { namespace: 'zz', name: 'gone-0', tcp2smc: '1', sockets: tcp('0x03030002'), vanish: true },
  ];
}

test('pods: each namespace read from inside, attributed, fallbacks first; status counts tcp2smc', async (t) => {
  if (!(await requirePods(t))) return;
  const pods = mainPods();
  const fillers = pods.filter((p) => p.namespace === 'fill').length;
  const [json, human, shop, cart, none, status] = await runOnPodNode({
    pods,
    others: 1,
    hostTcp2smc: '0',
    runs: [
      { args: ['diag', '--json'], gated: true },
      { args: ['diag'] },
      { args: ['diag', '--namespace', 'shop'] },
      { args: ['diag', '--pod', 'cart-0', '--json'] },
      { args: ['diag', '--pod', 'nosuch'] },
      { args: ['status', '--json'] },
    ],
  });
  assert.ok(json && human && shop && cart && none && status);

  assert.equal(json.exitCode, 16, json.stderr);
  const doc = JSON.parse(json.stdout) as Doc;
  assert.equal(doc.command, 'diag');
  assert.deepEqual([doc.connections, doc.smcr, doc.fellBack, doc.listening], [6, 3, 3, 1]);
  // The pod that ended after discovery is skipped, not an error, and not counted.
  assert.deepEqual(doc.netns, { read: 7 + fillers, vanished: 1, timedOut: 0 });
  assert.deepEqual([doc.podNamespaces, doc.tcp2smcOn], [5 + fillers, 4]);
  const row = (pod: string): NamespaceRow | undefined => doc.pods.find((p) => p.pod === pod);
  assert.deepEqual(
    doc.pods.slice(0, 3).map((p) => p.pod.replace(/^pod [0-9a-f-]{36}$/, 'pod UID')),
    ['shop/cart-0', 'pod UID', 'shop/api-0'],
  );
  const c = row('shop/cart-0');
  assert.deepEqual([c?.kind, c?.namespace, c?.name, c?.tcp2smc, c?.state], ['pod', 'shop', 'cart-0', true, 'ok']);
  assert.match(c?.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  assert.equal(c?.process, 'sleep');
  assert.deepEqual([c?.connections, c?.smcr, c?.fellBack], [3, 1, 2]);
  assert.deepEqual(
    c?.reasons.map((g) => [g.code, g.name, g.count, g.peers]),
    [['0x03030002', 'NOSMCRDEV', 2, [{ address: '192.168.0.40', count: 2 }]]],
  );
  const nolog = doc.pods[1];
  assert.deepEqual([nolog?.kind, nolog?.namespace, nolog?.name], ['pod', null, null]);
  assert.equal(nolog?.reasons[0]?.code, '0x05000000/0x03010000');
  assert.deepEqual([row('web/front-0')?.tcp2smc, row('web/idle-0')?.tcp2smc], [false, true]);
  assert.deepEqual([row('host')?.kind, row('host')?.tcp2smc], ['host', false]);
  const other = doc.pods.find((p) => p.kind === 'netns');
  assert.equal(other?.pod, `netns:[${other?.netns}]`);
  assert.equal(
    doc.pods.find((p) => p.pod.startsWith('zz/')),
    undefined,
  );

  assert.equal(human.exitCode, 16, human.stderr);
  assert.equal(human.stderr, '');
  const lines = human.stdout.split('\n');
  const scope = `${7 + fillers} network namespaces: ${5 + fillers} pods, host, 1 other`;
  assert.equal(lines[0], `6 SMC connections: 3 SMC-R, 3 fell back to TCP; 1 listening socket (${scope})`);
  assert.equal(lines[1], `tcp2smc is on in 4 of ${5 + fillers} pods`);
  assert.equal(lines[2], 'fell back to TCP:');
  assert.equal(lines[3], '  shop/cart-0 (tcp2smc on): 2 of 3 connections fell back');
  assert.match(lines[4] ?? '', /^ +2 {2}0x03030002 {2}NOSMCRDEV: no SMC-R device for the route to the peer/);
  assert.equal(lines[5], '        peers: 192.168.0.40 (2)');
  assert.match(lines[6] ?? '', /^ +fix: asm-erdma status on both nodes; asm-erdma setup/);
  assert.match(lines[7] ?? '', /^ {2}pod [0-9a-f-]{36} \(tcp2smc on\): 1 of 1 connection fell back$/);
  assert.match(lines[8] ?? '', /PEERDECL\/PEERNOSMC: the peer declined SMC/);
  assert.match(lines[10] ?? '', /fix: on the peer node: enable SMC at the peer/);
  assert.deepEqual(lines.slice(11, 13), ['using SMC:', '  shop/api-0 (tcp2smc on): 2 SMC-R']);
  assert.match(lines[13] ?? '', /^never switched to SMC \(tcp2smc off\): (fill\/f-\d+, )*web\/front-0$/);
  assert.equal(lines[14], 'tcp2smc on, no SMC connection now: web/idle-0');
  assert.match(lines[15] ?? '', /^no SMC connections: host, netns:\[\d+\] \(sleep\)$/);

  assert.equal(shop.exitCode, 16, shop.stderr);
  assert.match(
    shop.stdout,
    /^5 SMC connections: 3 SMC-R, 2 fell back to TCP; 1 listening socket \(2 network namespaces: 2 pods\)\n/,
  );
  assert.doesNotMatch(shop.stdout, /web\/|host|lost/);

  assert.equal(cart.exitCode, 16, cart.stderr);
  assert.deepEqual(
    (JSON.parse(cart.stdout) as Doc).pods.map((p) => p.pod),
    ['shop/cart-0'],
  );

  assert.equal(none.exitCode, 2);
  assert.equal(
    none.stderr,
    "error: no pod named nosuch on this node (the pods here: asm-erdma diag --json | jq -r '.pods[].pod')",
  );

  const checks = (JSON.parse(status.stdout) as { checks: { id: string; detail: string }[] }).checks;
  assert.equal(
    checks.find((x) => x.id === 'smc-tcp2smc')?.detail,
    `net.smc.tcp2smc is on in 4 of ${5 + fillers} pod network namespaces (0 in the host's)`,
  );
});

test('a pod whose smcss hangs: killed at the deadline, the others reported, exit 9 naming it', async (t) => {
  if (!(await requirePods(t))) return;
  const [human, json] = await runOnPodNode({
    pods: [
      { namespace: 'shop', name: 'cart-0', tcp2smc: '1', sockets: smcr(1) + tcp('0x03030002') },
      { namespace: 'shop', name: 'stuck-0', tcp2smc: '1', fail: 'hang' },
      { namespace: 'web', name: 'front-0', tcp2smc: '1', sockets: smcr(2) },
    ],
    runs: [{ args: ['diag', '--timeout', '2'] }, { args: ['diag', '--timeout', '2', '--json'] }],
  });
  assert.ok(human && json);
  for (const r of [human, json]) {
    assert.equal(r.exitCode, 9, r.stderr);
    assert.ok(r.ms < 2_000 + 5_000, `ended ${r.ms} ms after the start: soon after the 2 s deadline`);
    assert.match(r.stderr, /^error: smcss did not answer within 2 s in shop\/stuck-0; it was killed \(run 'nsenter/);
  }
  const lines = human.stdout.split('\n');
  assert.equal(lines[0], '3 SMC connections: 2 SMC-R, 1 fell back to TCP (4 network namespaces: 3 pods, host)');
  assert.equal(lines[3], '  shop/cart-0 (tcp2smc on): 1 of 2 connections fell back');
  assert.match(human.stdout, /^using SMC:\n {2}web\/front-0 \(tcp2smc on\): 1 SMC-R$/m);
  assert.match(human.stdout, /^not read: smcss did not answer in time in shop\/stuck-0 \(killed\)$/m);
  const doc = JSON.parse(json.stdout) as Doc;
  assert.deepEqual(doc.netns, { read: 3, vanished: 0, timedOut: 1 });
  const stuck = doc.pods.find((p) => p.pod === 'shop/stuck-0');
  assert.deepEqual([stuck?.state, stuck?.connections, stuck?.tcp2smc], ['timed-out', 0, null]);
});

test('host namespace only: fallbacks (exit 16), --watch --count, one line per missing piece', async (t) => {
  if (!(await requirePods(t))) return;
  const runs = await runOnPodNode({
    pods: [],
    hostSockets: fixture('sockets-mixed.txt'),
    hostTcp2smc: '1',
    runs: [
      { args: ['diag'] },
      { args: ['diag', '--json'] },
      { args: ['diag', '--watch', '0.1', '--count', '3', '--json'] },
      { args: ['diag'], env: { SIM_SMCSS_FAIL: 'nodiag' } },
      { args: ['diag', '--json'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
      { args: ['diag'], env: { ASM_ERDMA_SYSROOT: '/nonexistent' } },
      { args: ['diag'], env: { SIM_SMCSS_NETNS: '/nonexistent' } },
    ],
  });
  const [mixed, json, watch, noDiag, noTool, noSmc, empty] = runs;
  assert.equal(mixed?.exitCode, 16, mixed?.stderr);
  assert.equal(
    mixed?.stdout.split('\n')[0],
    '7 SMC connections: 2 SMC-R, 5 fell back to TCP; 1 listening socket (1 network namespace: host)',
  );
  assert.equal(mixed?.stdout.split('\n')[1], 'fell back to TCP:');
  assert.equal(mixed?.stdout.split('\n')[2], '  host (tcp2smc on): 5 of 7 connections fell back');

  const doc = JSON.parse(json?.stdout ?? '') as Doc;
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

  const samples = (JSON.parse(watch?.stdout ?? '') as { intervalSeconds: number; samples: Doc[] }).samples;
  assert.deepEqual(
    samples.map((s) => s.fellBack),
    [5, 5, 5],
  );

  // Real smcss without smc_diag says only "RTNETLINK answers: Success": diag says what it means.
  assert.equal(noDiag?.exitCode, 8);
  assert.equal(
    noDiag?.stderr,
    'error: smcss cannot list SMC sockets: the kernel has no SMC socket diagnostics (the smc_diag module is not ' +
      'loaded) (modprobe smc_diag)',
  );
  assert.doesNotMatch(noDiag?.stderr ?? '', /RTNETLINK/);

  assert.equal(noTool?.exitCode, 8);
  assert.equal(
    noTool?.stderr,
    'error: cannot look at SMC sockets: smcss is not installed (smc-tools) (yum install -y smc-tools)',
  );
  assert.equal((JSON.parse(noTool?.stdout ?? '') as { error: { code: number } }).error.code, 8);
  assert.equal(noSmc?.exitCode, 8);
  assert.match(noSmc?.stderr ?? '', /^error: cannot look at SMC sockets: the smc kernel module is not loaded/);

  assert.equal(empty?.exitCode, 0, empty?.stderr);
  assert.equal(empty?.stdout, 'no SMC connections (1 network namespace: host)\nno SMC connections: host');
});

test('bad flags are one-line usage errors (exit 2); not root is exit 3', async () => {
  const bad = await runCli(['diag', '--count', '2']);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /^error: --count needs --watch/);
  assert.equal((await runCli(['diag', '--watch', '0'])).exitCode, 2);
  const name = await runCli(['diag', '--pod', 'Web_1']);
  assert.equal(name.exitCode, 2);
  assert.equal(name.stderr, "error: --pod 'Web_1': must be a Kubernetes name (lower-case letters, digits, - and .)");
  if (process.getuid?.() !== 0) return;
  const root = mkdtempSync(join(tmpdir(), 'diag-ns-user-'));
  chmodSync(root, 0o755);
  try {
    const env = { PATH: `${SMC_STANDIN}:/usr/bin:/bin`, ASM_ERDMA_SYSROOT: root };
    await execa('mkdir', ['-p', join(root, 'sys/module/smc')]);
    const user = await runCli(['diag'], { asUser: 65534, env });
    assert.equal(user.exitCode, 3);
    assert.match(user.stderr, /^error: diag \(it reads every pod's network namespace\) needs root/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--watch without --count ends on SIGINT after the samples so far, with their exit code', async (t) => {
  if (!(await requirePods(t))) return;
  const root = mkdtempSync(join(tmpdir(), 'diag-ns-watch-'));
  await execa('mkdir', ['-p', join(root, 'sys/module/smc')]);
  try {
    // Every namespace of this machine answers with the same list: the first sample shows fallbacks.
    const child = spawn(process.execPath, [CLI, 'diag', '--watch', '30'], {
      env: {
        PATH: `${SMC_STANDIN}:/usr/bin:/bin`,
        ASM_ERDMA_SYSROOT: root,
        SIM_SMCSS_SOCKETS: join(FIXTURES, 'sockets-mixed.txt'),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
