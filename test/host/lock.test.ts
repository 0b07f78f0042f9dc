import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Deadline } from '../../src/core/deadline.js';
import { acquireLock, lockHeld } from '../../src/host/lock.js';
import { ExitError } from '../../src/exit-codes.js';

const name = `\0asm-erdma-test-${process.pid}`;

test('a second holder waits until the first releases', async () => {
  const first = await acquireLock(new Deadline(1000), () => {}, name);
  let waited = 0;
  const second = acquireLock(new Deadline(5000), () => waited++, name);
  setTimeout(() => void first.release(), 200);
  const lock = await second;
  assert.equal(waited, 1);
  await lock.release();
});

test('the lock times out with the locked exit code', async () => {
  const first = await acquireLock(new Deadline(1000), () => {}, name);
  await assert.rejects(
    acquireLock(new Deadline(300), () => {}, name),
    (e: unknown) => e instanceof ExitError && e.code === 7,
  );
  await first.release();
});

test('a killed holder frees the lock (no stale lock)', async () => {
  const holder = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen({path: ${JSON.stringify(name)}}, () => console.log('held'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => holder.stdout?.once('data', resolve));
  await assert.rejects(acquireLock(new Deadline(100), () => {}, name));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  const lock = await acquireLock(new Deadline(1000), () => {}, name);
  await lock.release();
});

test('lockHeld tells whether a run holds the lock, without taking it', async () => {
  const probe = `${name}-probe`;
  assert.equal(await lockHeld(probe), false);
  const lock = await acquireLock(new Deadline(1000), () => {}, probe);
  assert.equal(await lockHeld(probe), true);
  // Asking did not take it: the holder still has it, and a second probe still sees it.
  assert.equal(await lockHeld(probe), true);
  await lock.release();
  assert.equal(await lockHeld(probe), false);
});
