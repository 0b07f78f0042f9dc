/**
 * Setup's record (owned.json under the run directory) cannot be trusted blindly (issue 8, item 7): every fault
 * in it refuses setup and reset before any NIC changes, with exit 6 and one line; writes never follow symlinks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ipv4Of, kernelState, withSim } from '../helpers/sim.js';

interface Fault {
  name: string;
  make: (run: string, dir: string) => void;
  message: RegExp;
}

const faults: Fault[] = [
  {
    name: 'record is a directory',
    make: (run) => mkdirSync(join(run, 'owned.json'), { recursive: true }),
    message: /owned\.json is a directory/,
  },
  { name: 'run dir is a file', make: (run) => writeFileSync(run, ''), message: /run is not a directory/ },
  {
    name: 'run dir is a symlink',
    make: (run, dir) => {
      mkdirSync(join(dir, 'elsewhere'), { mode: 0o755 });
      symlinkSync(join(dir, 'elsewhere'), run);
    },
    message: /run is a symbolic link/,
  },
  {
    name: 'run dir writable by others',
    make: (run) => {
      mkdirSync(run);
      chmodSync(run, 0o777);
    },
    message: /run is writable by group or others \(mode 0777\)/,
  },
  {
    name: 'run dir not owned by root',
    make: (run) => {
      mkdirSync(run, { mode: 0o755 });
      chownSync(run, 65534, 65534);
    },
    message: /run is owned by uid 65534, not root/,
  },
  {
    name: 'record is a symlink',
    make: (run, dir) => {
      mkdirSync(run, { mode: 0o755 });
      writeFileSync(join(dir, 'victim'), 'precious\n');
      symlinkSync(join(dir, 'victim'), join(run, 'owned.json'));
    },
    message: /owned\.json is a symbolic link/,
  },
  {
    name: 'record is not JSON',
    make: (run) => {
      mkdirSync(run, { mode: 0o755 });
      writeFileSync(join(run, 'owned.json'), '{"eth1": {"mac": ');
    },
    message: /owned\.json is not JSON/,
  },
  {
    name: 'record has the wrong shape',
    make: (run) => {
      mkdirSync(run, { mode: 0o755 });
      writeFileSync(join(run, 'owned.json'), '{"eth1": "192.168.0.11"}');
    },
    message: /owned\.json is not a record of NIC addresses/,
  },
];

test('record-file faults: setup and reset refuse before any change, exit 6, one line, --json error', async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const run = join(node.dir, 'run');
    // eth1 configured (reset would change it), eth2 bare (setup would change it).
    assert.equal((await node.cli(['setup', '-i', 'eth1'])).exitCode, 0);
    const before = await kernelState(node);
    for (const fault of faults) {
      await node.exec('rm', ['-rf', run, join(node.dir, 'elsewhere'), join(node.dir, 'victim')]);
      fault.make(run, node.dir);
      for (const args of [['setup', '--json'], ['reset']]) {
        const r = await node.cli(args);
        assert.equal(r.exitCode, 6, `${fault.name}, ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^error: setup's record cannot be used: /, fault.name);
        assert.match(r.stderr, fault.message, fault.name);
        assert.match(r.stderr, /; nothing was changed \(/, fault.name);
        assert.equal(r.stderr.trim().split('\n').length, 1, `${fault.name}: one line`);
        if (args.includes('--json')) {
          const doc = JSON.parse(r.stdout) as { error: { code: number; name: string } };
          assert.deepEqual([doc.error.code, doc.error.name], [6, 'apply']);
        }
        assert.deepEqual(await kernelState(node), before, `${fault.name}, ${args.join(' ')}: nothing changed`);
      }
      if (fault.name === 'record is a symlink')
        assert.equal(readFileSync(join(node.dir, 'victim'), 'utf8'), 'precious\n');
    }
  });
});

test('dry-run reads the record without writing; a missing run directory is created root-owned 0755', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const run = join(node.dir, 'run');
    const dry = await node.cli(['setup', '--dry-run']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.equal((await node.exec('test', ['-e', run])).exitCode, 1, 'dry-run created nothing');
    assert.equal((await node.cli(['setup'])).exitCode, 0);
    const st = await node.exec('stat', ['-c', '%u %a %F', run]);
    assert.equal(st.stdout.trim(), '0 755 directory');
    const files = await node.exec('ls', ['-A', run]);
    // The record and setup's note of how it ended (metrics exports it); no temp or probe file left.
    assert.equal(files.stdout.trim(), 'last-setup.json\nowned.json', 'no temp or probe file left');
  });
});

test('the record cannot be written after the NICs changed: the report is kept, exit 6 says so', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    // A full 4 KiB tmpfs as the run directory: the empty probe file fits, the record does not.
    const run = join(node.dir, 'run');
    mkdirSync(run);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4k,mode=0755', 'tmpfs', run]);
    try {
      writeFileSync(join(run, 'filler'), Buffer.alloc(4096));
      const r = await node.cli(['setup', '--json']);
      assert.equal(r.exitCode, 6, r.stderr);
      assert.match(
        r.stderr,
        /^error: could not write .*\/run\/owned\.json: ENOSPC \(the NICs were changed as reported\) \(fix the run/,
      );
      assert.equal(r.stderr.trim().split('\n').length, 1);
      const report = JSON.parse(r.stdout) as { nics: { result: string }[]; recordError: string };
      assert.deepEqual(
        report.nics.map((n) => n.result),
        ['changed'],
      );
      assert.match(report.recordError, /ENOSPC/);
      assert.deepEqual(ipv4Of(await kernelState(node), 'eth1'), ['192.168.0.11/24 metric 101 global']);
      const left = await node.exec('ls', ['-A', run]);
      assert.equal(left.stdout.trim(), 'filler', 'no temp file left behind');
    } finally {
      await execa('umount', [run], { reject: false });
    }
  });
});
