import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectFile } from '../../src/host/regular-file.js';
import { NodeHost } from '../../src/host/node-host.js';
import { Runner } from '../../src/host/runner.js';

async function withDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-regular-'));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A blocking open of the FIFO would hang the test (and the event loop): the test's timeout is the proof.
test('a FIFO, a socket, a directory and a device are refused unopened; links followed only when asked', {
  timeout: 20_000,
}, async () => {
  await withDir(async (dir) => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    mkdirSync(join(dir, 'dir'));
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    try {
      for (const follow of [true, false]) {
        assert.deepEqual(inspectFile(join(dir, 'fifo'), { follow }), { kind: 'not-regular', what: 'a FIFO' });
        assert.deepEqual(inspectFile(join(dir, 'sock'), { follow }), { kind: 'not-regular', what: 'a socket' });
        assert.deepEqual(inspectFile(join(dir, 'dir'), { follow }), { kind: 'not-regular', what: 'a directory' });
        assert.deepEqual(inspectFile('/dev/null', { follow }), { kind: 'not-regular', what: 'a character device' });
        assert.deepEqual(inspectFile(join(dir, 'none'), { follow }), { kind: 'absent' });
      }
    } finally {
      server.close();
    }
    writeFileSync(join(dir, 'file'), 'KEY=1\n');
    symlinkSync(join(dir, 'file'), join(dir, 'link'));
    symlinkSync(join(dir, 'fifo'), join(dir, 'to-fifo'));
    symlinkSync('/dev/null', join(dir, 'masked'));
    assert.deepEqual(inspectFile(join(dir, 'link'), { follow: true }), { kind: 'regular', content: 'KEY=1\n' });
    assert.deepEqual(inspectFile(join(dir, 'to-fifo'), { follow: true }), { kind: 'not-regular', what: 'a FIFO' });
    assert.deepEqual(inspectFile(join(dir, 'link'), { follow: false }), {
      kind: 'not-regular',
      what: `a symbolic link to ${join(dir, 'file')}`,
    });
    assert.deepEqual(inspectFile(join(dir, 'masked'), { follow: false }), {
      kind: 'not-regular',
      what: 'a symbolic link to /dev/null',
    });
    // status reads the unit file through the host: a FIFO there is an error (a "cannot check"), never a hang.
    const host = new NodeHost(new Runner({}), { dryRun: true, streamInstall: false, confirm: async () => undefined });
    assert.throws(() => host.readFile(join(dir, 'fifo')), {
      message: `${join(dir, 'fifo')} is a FIFO, not a regular file`,
    });
    assert.equal(host.readFile(join(dir, 'link')), 'KEY=1\n');
    assert.equal(host.readFile(join(dir, 'none')), undefined);
  });
});
