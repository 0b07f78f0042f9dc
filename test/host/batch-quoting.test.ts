/**
 * batchWord against the real iproute2 batch parser: read-only `ip -force -batch -` lines `link show dev WORD`
 * for names that do not exist make ip echo back each name exactly as it parsed it. Nothing is changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { batchLine } from '../../src/core/ifname.js';

test('iproute2 reads every batch word back as the name it was', async () => {
  const names = ['"q', "'q", 'a"b', "a'b", 'x\\', 'tab\\t', 'asm-no-such0'];
  const lines = names.map((n) => batchLine(['link', 'show', 'dev', n]));
  assert.ok(lines.every((l) => l !== undefined));
  const r = await execa('ip', ['-force', '-batch', '-'], { input: `${lines.join('\n')}\n`, reject: false });
  const echoed = [...String(r.stderr).matchAll(/^Device "(.*)" does not exist\.$/gm)].map((m) => m[1]);
  assert.deepEqual(echoed, names);
  assert.deepEqual(
    [...String(r.stderr).matchAll(/^Command failed -:(\d+)$/gm)].map((m) => Number(m[1])),
    [1, 2, 3, 4, 5, 6, 7],
  );
});
