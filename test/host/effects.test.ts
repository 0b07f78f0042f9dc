import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effect, EffectsFailed, runEffects, type Effect } from '../../src/host/effects.js';

/** Effects that log what ran; `failAt` fails that one, `undoFails` makes that effect's inverse fail. */
function recorded(names: string[], failAt?: string, undoFails?: string): { effects: Effect[]; log: string[] } {
  const log: string[] = [];
  const effects = names.map((n) =>
    effect(
      n,
      () => {
        if (n === failAt) throw new Error(`${n} broke`);
        log.push(n);
      },
      () =>
        effect(`undo ${n}`, () => {
          if (n === undoFails) throw new Error(`undo ${n} broke`);
          log.push(`undo ${n}`);
        }),
    ),
  );
  return { effects, log };
}

test('all effects run in order and their descriptions are returned', async () => {
  const { effects, log } = recorded(['a', 'b', 'c']);
  assert.deepEqual(await runEffects(effects, false), ['a', 'b', 'c']);
  assert.deepEqual(log, ['a', 'b', 'c']);
});

test('dry-run runs nothing and returns what would run', async () => {
  const { effects, log } = recorded(['a', 'b']);
  assert.deepEqual(await runEffects(effects, true), ['a', 'b']);
  assert.deepEqual(log, []);
});

test('a failure undoes what succeeded, newest first, and says so', async () => {
  const { effects, log } = recorded(['a', 'b', 'c', 'd'], 'c');
  const e = await runEffects(effects, false).catch((x: unknown) => x);
  assert.ok(e instanceof EffectsFailed);
  assert.deepEqual(log, ['a', 'b', 'undo b', 'undo a']);
  assert.equal(e.message, 'c broke; put back as it was: undo b, undo a');
  assert.equal(e.code, 6);
});

test('a first-step failure changed nothing; a failing undo is reported and the rest still undone', async () => {
  const first = await runEffects(recorded(['a', 'b'], 'a').effects, false).catch((x: unknown) => x);
  assert.equal((first as Error).message, 'a broke; nothing was changed');
  const { effects, log } = recorded(['a', 'b', 'c'], 'c', 'b');
  const e = await runEffects(effects, false).catch((x: unknown) => x);
  assert.deepEqual(log, ['a', 'b', 'undo a']);
  assert.equal((e as Error).message, 'c broke; putting back also failed: undo b broke');
});

test('an effect without an inverse is skipped when undoing', async () => {
  const log: string[] = [];
  const effects = [
    effect('reload', () => void log.push('reload')),
    effect(
      'enable',
      () => void log.push('enable'),
      () => effect('disable', () => void log.push('disable')),
    ),
    effect('start', () => {
      throw new Error('start broke');
    }),
  ];
  await assert.rejects(runEffects(effects, false), /start broke; put back as it was: disable/);
  assert.deepEqual(log, ['reload', 'enable', 'disable']);
});
