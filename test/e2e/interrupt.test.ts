/**
 * Ctrl-C and SIGTERM in the middle of a run, the spinner's clock, and the status table on a terminal: what an
 * operator sees in a real pseudo-terminal (util-linux `script`; a ^C written to it is the terminal's own Ctrl-C).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLI, type SimNode } from '../../scripts/sim/sim-node.js';
import { screenLines } from '../helpers/screen.js';
import { kernelState, withSim } from '../helpers/sim.js';

/** The CLI on a 100-column pty inside the node; resolves `until` once the output matches it. */
function onPty(node: SimNode, args: string) {
  const vars = Object.entries(node.cliEnv())
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const inner = `stty cols 100 rows 30; env -u CI -u NO_COLOR ${vars} ${process.execPath} ${CLI} ${args}`;
  const child = spawn('ip', ['netns', 'exec', node.ns, 'timeout', '60', 'script', '-qec', inner, '/dev/null']);
  return watch(child, 'stdout');
}

function watch(child: ChildProcessWithoutNullStreams, stream: 'stdout' | 'stderr') {
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child[stream].on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.filter((x) => x.re.test(out))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    ended,
    /** Resolves when the output matches (or the process ends first: the assertions then say what was missing). */
    until: (re: RegExp) =>
      Promise.race([new Promise<void>((resolve) => (re.test(out) ? resolve() : waiters.push({ re, resolve }))), ended]),
  };
}

test('Ctrl-C while setup waits on the metadata server: spinner cleared, one line: nothing was changed', async (t) => {
  await withSim(t, { nics: 1, latencyMs: 30_000 }, async (node) => {
    const before = await kernelState(node);
    const run = onPty(node, 'setup');
    // The spinner counts the seconds against the run's deadline (30 s for setup).
    await run.until(/asking the metadata server… 1 s of the 30 s deadline/);
    run.child.stdin.write('\x03');
    const { code } = await run.ended;
    const raw = run.output();
    assert.match(raw, /asking the metadata server… 0 s of the 30 s deadline/);
    assert.equal(code, 130, raw);
    const screen = screenLines(raw).filter(Boolean);
    assert.deepEqual(screen, ['interrupted (SIGINT): nothing was changed'], raw);
    assert.deepEqual(await kernelState(node), before, 'the NIC is as it was');
  });
});

test('SIGTERM (systemctl stop) during setup: one line on stderr, the process dies of the signal', async (t) => {
  await withSim(t, { nics: 1, latencyMs: 30_000 }, async (node) => {
    const env = Object.entries(node.cliEnv()).map(([k, v]) => `${k}=${v}`);
    // `ip netns exec` and `env` exec the CLI: the child's pid is the CLI's.
    const child = spawn('ip', ['netns', 'exec', node.ns, 'env', ...env, process.execPath, CLI, 'setup', '-v']);
    const run = watch(child, 'stderr');
    await run.until(/rdma -j link show/);
    child.kill('SIGTERM');
    const { signal } = await run.ended;
    assert.equal(signal, 'SIGTERM');
    const last = run.output().trimEnd().split('\n').at(-1);
    assert.equal(last, 'interrupted (SIGTERM): nothing was changed');
  });
});

test('status on a 100-column terminal: long details and fixes wrap under their own column', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const run = onPty(node, 'status --color never');
    await run.ended;
    const lines = screenLines(run.output()).filter(Boolean);
    const header = lines[0] ?? '';
    assert.match(header, /^CHECK +STATE {2}DETAIL$/);
    const detailColumn = header.indexOf('DETAIL');
    let wrapped = 0;
    for (const line of lines) {
      assert.ok(line.length <= 100, `wider than the terminal: ${line}`);
      if (/^(CHECK|ready|NOT ready)/.test(line) || /^[a-z][\w:-]* +(ok|warn|fail) +\S/.test(line)) continue;
      // Everything else continues a detail or a fix: never back at column 0.
      // A fix wraps under its own text, 5 columns in ("fix: ").
      const at = new RegExp(`^ {${detailColumn}}( {5})?\\S`);
      assert.match(line, at, `wraps to the wrong column: ${JSON.stringify(line)}`);
      if (!/^ +fix: /.test(line)) wrapped++;
    }
    assert.ok(wrapped > 0, `some detail is long enough to wrap:\n${lines.join('\n')}`);
  });
});

test('status during a setup that waits on the metadata server: a run in progress, not a second setup', async (t) => {
  await withSim(t, { nics: 2, latencyMs: 30_000 }, async (node) => {
    const env = Object.entries(node.cliEnv()).map(([k, v]) => `${k}=${v}`);
    const setup = spawn('ip', ['netns', 'exec', node.ns, 'env', ...env, process.execPath, CLI, 'setup', '-v']);
    const run = watch(setup, 'stderr');
    // Past the lock and device discovery: now it waits on the (slow) metadata server, holding the lock.
    await run.until(/rdma -j link show/);
    try {
      const r = await node.cli(['status', '--json', '--timeout', '1']);
      const doc = JSON.parse(r.stdout) as { checks: { id: string; state: string; fix: string | null }[] };
      const byId = new Map(doc.checks.map((c) => [c.id, c]));
      assert.equal(byId.get('run-in-progress')?.state, 'warn', r.stdout);
      assert.equal(byId.get('nic:eth1')?.fix, 'wait for that run to end, then asm-erdma status again');
      assert.ok(!doc.checks.some((c) => c.fix?.startsWith('asm-erdma setup')), r.stdout);
    } finally {
      setup.kill('SIGTERM');
      await run.ended;
    }
    // The run is over: status no longer sees one.
    const after = JSON.parse((await node.cli(['status', '--json', '--timeout', '1'])).stdout) as {
      checks: { id: string }[];
    };
    assert.ok(!after.checks.some((c) => c.id === 'run-in-progress'));
  });
});
