/**
 * The README is the operator's procedure: short enough to read, the steps in the order a node needs them, one
 * example each, and the developer's two commands still there (CI runs "the README's test command").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const MAX_LINES = 350;

/** The README's order: what it does, the node procedure step by step, the ASM side, then the reference. */
const ORDER: RegExp[] = [
  /^# asm-erdma$/,
  /^## The node procedure$/,
  /^### 1\. Install the RPM$/,
  /^### 2\. .*`status`$/,
  /^### 3\. .*`kernel upgrade` or `hotfix`, then reboot$/,
  /^### 4\. .*`setup`$/,
  /^### 5\. .*`install-service`$/,
  /^### 6\. .*`diag`$/,
  /^## The ASM side$/,
  /^## Command reference$/,
  /^## Exit codes$/,
  /^## Defaults: \/etc\/sysconfig\/asm-erdma$/,
  /^## What setup guarantees$/,
];

const headings = README.split('\n').filter((l) => /^#{1,3} /.test(l));

test(`the README is at most ${MAX_LINES} lines`, () => {
  const lines = README.trimEnd().split('\n').length;
  assert.ok(lines <= MAX_LINES, `README.md has ${lines} lines`);
});

test('the README: what it does, then the node procedure in order, the ASM side, then the reference', () => {
  let at = -1;
  for (const re of ORDER) {
    const i = headings.findIndex((h, k) => k > at && re.test(h));
    assert.ok(i > at, `${re} after ${headings[at] ?? 'the start'}; headings: ${headings.join(' | ')}`);
    at = i;
  }
  // The first screen (before the procedure) says what it does; developers' material is only a pointer there.
  const intro = README.slice(0, README.indexOf('\n## The node procedure'));
  assert.match(intro, /eRDMA/);
  assert.ok(intro.split('\n').length <= 30, 'the first screen fits a terminal');
});

test('each step of the node procedure has one example', () => {
  const steps = README.split(/\n(?=### \d\. )/).slice(1);
  assert.equal(steps.length, 6);
  for (const step of steps) {
    const body = step.split('\n## ')[0] as string;
    assert.match(body, /```sh\n(?:.*\n)*?(asm-erdma|dnf install) /, `an example in: ${body.split('\n')[0]}`);
  }
});

test("the README keeps the developer's two commands and points to CONTRIBUTING.md", () => {
  // .ci/run runs "the README's test command": the README must still name it.
  assert.match(README, /bash scripts\/dev-setup\.sh/);
  assert.match(README, /`npm test`/);
  assert.match(README, /\[CONTRIBUTING\.md\]\(CONTRIBUTING\.md\)/);
  // CI runs the same two, dev-setup first and npm test last (the release check may stand between them).
  const ci = readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');
  const commands = ci.split('\n').filter((l) => l.trim() !== '' && !/^\s*#|^set |^cd /.test(l));
  assert.equal(commands[0], 'bash scripts/dev-setup.sh', ci);
  assert.equal(commands.at(-1), 'npm test', ci);
});

test('every relative link in the README, CONTRIBUTING.md and docs/ points to a file that exists', () => {
  const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  const files = ['README.md', 'CONTRIBUTING.md', 'deploy/ansible/README.md', ...docs.map((f) => `docs/${f}`)];
  for (const f of files) {
    const text = readFileSync(join(REPO_ROOT, f), 'utf8');
    for (const m of text.matchAll(/\]\((?!https?:|#)([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = join(REPO_ROOT, dirname(f), m[1] as string);
      assert.ok(existsSync(target), `${f} links to ${m[1]}, which does not exist`);
    }
  }
});
