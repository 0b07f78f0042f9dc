/**
 * Output as an operator sees it in a simulated node: colours per stream, -q, dry runs with nothing to do, the
 * primary NIC refused with a hint — with a TTY (util-linux script) and without.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO_ROOT, type SimNode } from '../../scripts/sim/sim-node.js';
import { kernelState, ipv4Of, withSim } from '../helpers/sim.js';
import { hasColour, hasEscapes, screenLines } from '../helpers/screen.js';

const PKG = join(REPO_ROOT, 'scripts/standins/packages');

/**
 * Runs a shell command line on a pseudo-terminal inside the node: `$CLI` is the built CLI. stdout, stderr and
 * stdin of the line are the terminal unless the line redirects them (a pipe makes stdout a pipe).
 */
async function onTty(node: SimNode, line: string, env: Record<string, string> = {}) {
  const vars = Object.entries({
    ...node.cliEnv(),
    NO_COLOR: '',
    PATH: `${PKG}:${node.cliEnv().PATH}`,
    SIM_UNAME_R: '5.10.134-17.3.al8.x86_64',
    SIM_PKG_ROOT: join(node.dir, 'pkgroot'),
    ...env,
  })
    .map(([k, v]) => `export ${k}='${v}';`)
    .join(' ');
  // ora stays quiet when CI is set, whatever the terminal: an operator's shell has no CI variable.
  const cmd =
    `stty cols 120 rows 40; unset CI; ${vars} [ -n "$NO_COLOR" ] || unset NO_COLOR; ` +
    `CLI="${process.execPath} ${CLI}"; ${line}`;
  return node.exec('timeout', ['60', 'script', '-qec', cmd, '/dev/null']);
}

test('status | awk on a terminal: the table on the pipe is plain, so awk sees the fail rows', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    // stderr stays the terminal (the spinner draws there); stdout goes through tee into a file, then awk.
    const piped = join(node.dir, 'status.out');
    const r = await onTty(node, `$CLI status | tee ${piped} | awk '$2=="fail"'`);
    assert.match(r.stdout, /asking the metadata server/, 'stderr is a terminal: the spinner is drawn');
    const rows = screenLines(r.stdout.replace(/\r\n/g, '\n')).filter((l) => l.trim() !== '');
    assert.ok(
      rows.some((l) => l.startsWith('nic:eth1')),
      r.stdout,
    );
    assert.ok(
      rows.some((l) => l.startsWith('nic:eth2')),
      r.stdout,
    );
    for (const row of rows) assert.match(row, /^\S+\s+fail\s/);
    const table = readFileSync(piped, 'utf8');
    assert.match(table, /^CHECK\s+STATE\s+DETAIL$/m);
    assert.ok(!hasEscapes(table), 'no escape codes reach the pipe');
    // The same table straight on the terminal is coloured (auto), and --color=never/always are obeyed.
    const direct = await onTty(node, '$CLI status');
    assert.match(direct.stdout, /\u001b\[31mfail/);
    const never = await onTty(node, '$CLI --color=never status');
    assert.ok(!hasColour(never.stdout), 'never: no colours on a terminal');
    assert.match(never.stdout, /^nic:eth1\s+fail\s/m);
    const always = await onTty(node, '$CLI status --color always | cat');
    assert.match(always.stdout, /\u001b\[31mfail/);
  });
});

test('colours follow the stream: an error on a terminal stderr is red while stdout is a pipe', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const r = await onTty(node, '$CLI setup -i eth9 | cat');
    assert.match(r.stdout, /\u001b\[31merror:\u001b\[39m --interface eth9: not an eRDMA NIC \(eRDMA NICs here: eth1\)/);
    const noColor = await onTty(node, '$CLI setup -i eth9 | cat', { NO_COLOR: '1' });
    assert.ok(!hasColour(noColor.stdout));
    assert.match(noColor.stdout, /^error: --interface eth9: not an eRDMA NIC/m);
    // No TTY at all: nothing coloured unless asked for.
    const piped = await node.cli(['setup', '-i', 'eth9'], { NO_COLOR: '' });
    assert.ok(!hasEscapes(piped.stderr));
    const forced = await node.cli(['--color=always', 'setup', '-i', 'eth9']);
    assert.match(forced.stderr, /^\u001b\[31merror:/);
  });
});

test('-q keeps only errors and the result: no warnings, no progress, no spinner', async (t) => {
  await withSim(t, { nics: 1, latencyMs: 400 }, async (node) => {
    assert.equal((await node.exec('ip', ['addr', 'add', '192.168.0.99/24', 'dev', 'eth1'])).exitCode, 0);
    const loud = await node.cli(['setup', '--dry-run']);
    assert.match(loud.stderr, /warning: eth1 also carries 192.168.0.99\/24/);
    const quiet = await node.cli(['setup', '-q']);
    assert.equal(quiet.exitCode, 0, quiet.stderr);
    assert.equal(quiet.stderr, '');
    assert.match(quiet.stdout, /configured 1 of 1 eRDMA NIC/);
    const tty = await onTty(node, '$CLI --quiet reset');
    assert.equal(tty.exitCode, 0, tty.stdout);
    assert.doesNotMatch(tty.stdout, /warning|asking the metadata server/);
    assert.match(tty.stdout, /reset 1 of 1 eRDMA NIC/);
    const err = await node.cli(['setup', '-q', '-i', 'eth9']);
    assert.equal(err.exitCode, 4);
    assert.match(err.stderr, /^error: --interface eth9: not an eRDMA NIC/);
  });
});

test('--dry-run with nothing to do says so instead of an empty command list', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const reset = await node.cli(['reset', '--dry-run']);
    assert.equal(reset.exitCode, 0, reset.stderr);
    assert.equal(reset.stdout, 'nothing to do: no eRDMA NIC has anything to reset (dry run)');
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const setup = await node.cli(['setup', '--dry-run']);
    assert.equal(setup.exitCode, 0, setup.stderr);
    assert.equal(setup.stdout, 'nothing to do: 2 eRDMA NIC(s) already configured (dry run; primary eth0 left alone)');
    // Something to do: the heading and the commands, as before.
    assert.equal((await node.exec('ip', ['link', 'set', 'eth2', 'down'])).exitCode, 0);
    const some = await node.cli(['setup', '--dry-run']);
    assert.deepEqual(some.stdout.split('\n'), [
      'dry run: these commands would run (nothing was changed):',
      '# eth1: already configured, nothing to do',
      'ip link set dev eth2 up',
    ]);
  });
});

test('-i with the primary NIC is refused in one line that says what to do', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const before = await kernelState(node);
    const r = await node.cli(['setup', '-i', 'eth0']);
    assert.equal(r.exitCode, 2);
    assert.equal(
      r.stderr,
      'error: --interface eth0 is the primary NIC (it holds the default route); asm-erdma never changes it ' +
        '(leave eth0 out: without -i every eRDMA NIC is configured; asm-erdma status lists them)',
    );
    assert.deepEqual(await kernelState(node), before);
    assert.deepEqual(ipv4Of(before, 'eth1'), []);
  });
});
