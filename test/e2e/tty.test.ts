import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI } from '../../scripts/sim/sim-node.js';
import { withSim } from '../helpers/sim.js';

const ESC = '\u001b[';

/** Runs the CLI in the node with a pseudo-terminal (util-linux `script`), as an operator at a shell would. */
async function onTty(
  node: import('../../scripts/sim/sim-node.js').SimNode,
  args: string,
  env: Record<string, string> = {},
  zeroColumns = false,
) {
  // ora stays quiet when CI is set, whatever the terminal: an operator's shell has no CI variable.
  const vars = Object.entries({ ...node.cliEnv(), ...env })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const size = zeroColumns ? '' : 'stty cols 100 rows 30; ';
  return node.exec('timeout', [
    '60',
    'script',
    '-qec',
    `${size}env -u CI -u NO_COLOR ${vars} ${process.execPath} ${CLI} ${args}`,
    '/dev/null',
  ]);
}

test('on a TTY: a spinner while the metadata server answers, and colours', async (t) => {
  await withSim(t, { nics: 1, latencyMs: 600 }, async (node) => {
    const r = await onTty(node, 'setup', { NO_COLOR: '' });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.match(r.stdout, /asking the metadata server…/);
    assert.ok(r.stdout.includes(ESC), 'escape codes on a TTY');
    const bad = await onTty(node, 'setup -i eth9', { NO_COLOR: '' });
    assert.ok(bad.stdout.includes(`${ESC}31merror:`), 'red error label');
  });
});

test('NO_COLOR on a TTY, and no TTY at all: no colour escapes, no spinner', async (t) => {
  await withSim(t, { nics: 1, latencyMs: 600 }, async (node) => {
    const noColor = await onTty(node, 'setup -i eth9', { NO_COLOR: '1' });
    assert.match(noColor.stdout, /^error: --interface eth9: not an eRDMA NIC/m);
    assert.ok(!noColor.stdout.includes(`${ESC}31m`));
    const piped = await node.cli(['setup']);
    assert.equal(piped.exitCode, 0);
    assert.ok(!piped.stderr.includes(ESC) && !piped.stdout.includes(ESC));
    assert.doesNotMatch(piped.stderr, /asking the metadata server/);
  });
});

test('a terminal that reports 0 columns gets no spinner (ora would redraw forever)', async (t) => {
  await withSim(t, { nics: 1, latencyMs: 300 }, async (node) => {
    const r = await onTty(node, 'setup', {}, true);
    assert.equal(r.exitCode, 0, r.stdout.slice(0, 500));
    assert.doesNotMatch(r.stdout, /asking the metadata server/);
    assert.match(r.stdout, /configured 1 of 1 eRDMA NIC/);
  });
});
