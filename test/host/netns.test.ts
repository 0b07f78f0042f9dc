import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { Deadline } from '../../src/core/deadline.js';
import type { NetnsTarget } from '../../src/core/netns.js';
import { listNetns, readNetns } from '../../src/host/netns.js';
import { Runner } from '../../src/host/runner.js';
import { requireRoot } from '../helpers/sim.js';

// Real namespaces, real nsenter: a per-namespace sysctl this kernel has (ip_forward) stands in for tcp2smc.
test('real namespaces: found by /run/netns and by process, read from inside; one that ends is skipped', async (t) => {
  if (!requireRoot(t)) return;
  const names = [`diagns-${process.pid}-a`, `diagns-${process.pid}-b`];
  for (const n of names) await execa('ip', ['netns', 'add', n]);
  await execa('ip', ['netns', 'exec', names[0] as string, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  // A process living in a namespace of its own (no name): found through /proc/<pid>/ns/net.
  const loner = spawn('unshare', ['--net', 'sh', '-c', 'echo up; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise((resolve) => loner.stdout.once('data', resolve));
    const runner = new Runner();
    const deadline = new Deadline(10_000);
    const targets = listNetns();
    const a = targets.find((x) => x.netnsName === names[0]);
    const b = targets.find((x) => x.netnsName === names[1]);
    const alone = targets.find((x) => x.process?.pid === loner.pid);
    assert.equal(a?.kind, 'netns');
    assert.equal(a?.label, `netns ${names[0]}`);
    assert.deepEqual(a?.paths, [`/run/netns/${names[0]}`]);
    assert.match(alone?.label ?? '', /^netns:\[\d+\]$/);
    assert.equal(alone?.process?.comm, 'sleep');
    assert.equal(targets.filter((x) => x.kind === 'host').length, 1);
    const sysctl = '/proc/sys/net/ipv4/ip_forward';
    const read = async (target: NetnsTarget | undefined) =>
      target ? (await readNetns(runner, target, { deadline, sysctl }))?.tcp2smc?.trim() : 'no such namespace';
    assert.equal(await read(a), '1');
    assert.equal(await read(b), '0');
    assert.equal(await read(alone), '0');
    // Ends between listing and reading: skipped (undefined), not an error.
    await execa('ip', ['netns', 'del', names[1] as string]);
    assert.equal(b && (await readNetns(runner, b, { deadline, sysctl })), undefined);
    loner.kill('SIGKILL');
    await new Promise((resolve) => loner.once('exit', resolve));
    assert.equal(alone && (await readNetns(runner, alone, { deadline, sysctl })), undefined);
  } finally {
    loner.kill('SIGKILL');
    for (const n of names) await execa('ip', ['netns', 'del', n], { reject: false });
  }
});
