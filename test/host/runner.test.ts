import { existsSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../src/core/deadline.js';
import { Runner } from '../../src/host/runner.js';
import { ExitError } from '../../src/exit-codes.js';

test('runner: argv without a shell, stdin input, output minus its final newline, the exit code returned', async () => {
  const runner = new Runner();
  const echoed = await runner.run({ file: 'cat', args: [], input: 'a $(b) ;c\nsecond\n' });
  assert.deepEqual(echoed, { exitCode: 0, stdout: 'a $(b) ;c\nsecond', stderr: '' });
  const failed = await runner.run({ file: 'sh', args: ['-c', 'echo oops >&2; exit 3'] });
  assert.deepEqual(failed, { exitCode: 3, stdout: '', stderr: 'oops' });
  const env = await runner.run({ file: 'sh', args: ['-c', 'echo "$LC_ALL"'] });
  assert.equal(env.stdout, 'C');
});

test('runner: a tool missing from PATH is the missing-tool error naming it and what provides it', async () => {
  const runner = new Runner();
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await assert.rejects(runner.run({ file: 'rdma', args: ['link'] }), (x: unknown) => {
      assert.ok(x instanceof ExitError);
      assert.equal(x.message, "'rdma' was not found on PATH, /usr/sbin or /sbin");
      assert.equal(x.hint, 'install iproute (rdma is part of iproute2)');
      return true;
    });
  } finally {
    process.env.PATH = saved;
  }
});

test('runner: at the run deadline the whole process group is killed (exit 9, the tool named and listed)', async () => {
  const runner = new Runner({ deadline: new Deadline(400) });
  const started = Date.now();
  // The grandchild holds the output pipe open: only killing the group lets the run end.
  await assert.rejects(runner.run({ file: 'sh', args: ['-c', 'sleep 30 & sleep 30'] }), (x: unknown) => {
    assert.ok(x instanceof ExitError);
    assert.equal(x.code, 9);
    assert.match(x.message, /^sh did not answer within 0\.4 s \('sh -c sleep 30 & sleep 30'\); it was killed$/);
    return true;
  });
  assert.deepEqual(runner.killed, ['sh']);
  assert.ok(Date.now() - started < 20_000, 'ended long before the sleeps would have');
});

test('runner: a tool missing from PATH is found in /usr/sbin or /sbin (cron and su drop them from PATH)', async (t) => {
  const real = ['/usr/sbin/ip', '/sbin/ip'].find((f) => existsSync(f));
  if (!real) return void t.skip('ip is in neither /usr/sbin nor /sbin here');
  const runner = new Runner();
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const r = await runner.run({ file: 'ip', args: ['-V'] });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^ip utility, iproute2-/);
  } finally {
    process.env.PATH = saved;
  }
});
