import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, exitCodeMeaning, type ExitCodeName } from '../../src/exit-codes.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

/** The rows of the README's "Exit codes" table, as [code, meaning]. */
function readmeTable(): [number, string][] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Exit codes\n');
  assert.ok(start >= 0, 'the README has an "Exit codes" section');
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/^\| *(\d+) \| (.*) \|$/gm)].map((m) => [Number(m[1]), m[2] as string]);
}

test("the README's exit-code table is src/exit-codes.ts, row for row", () => {
  const fromSource = (Object.keys(ExitCode) as ExitCodeName[]).map((k): [number, string] => [
    ExitCode[k],
    exitCodeMeaning[k],
  ]);
  assert.deepEqual(readmeTable(), fromSource);
});

test('exit codes are unique', () => {
  const values = Object.values(ExitCode);
  assert.equal(new Set(values).size, values.length);
});
