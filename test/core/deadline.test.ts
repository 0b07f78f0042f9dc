import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, Deadline, sleepUnlessAborted } from '../../src/core/deadline.js';

test('deadline counts down and never goes negative', () => {
  let now = 1000;
  const d = new Deadline(500, () => now);
  assert.equal(d.remaining(), 500);
  now = 1400;
  assert.equal(d.expired(), false);
  now = 2000;
  assert.equal(d.remaining(), 0);
  assert.equal(d.expired(), true);
});

test('backoff doubles, is capped, and jitters within [ceiling/2, ceiling]', () => {
  assert.equal(
    backoffMs(0, 200, 2000, () => 0),
    100,
  );
  assert.equal(
    backoffMs(0, 200, 2000, () => 1),
    200,
  );
  assert.equal(
    backoffMs(3, 200, 2000, () => 1),
    1600,
  );
  assert.equal(
    backoffMs(10, 200, 2000, () => 1),
    2000,
  );
});

test('sleepUnlessAborted ends as soon as its signal aborts (a minute-long wait does not hold the caller)', async () => {
  const stop = new AbortController();
  const waiting = sleepUnlessAborted(60_000, stop.signal);
  stop.abort();
  await waiting;
  const already = new AbortController();
  already.abort();
  await sleepUnlessAborted(60_000, already.signal);
});
