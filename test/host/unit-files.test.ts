import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHost } from '../../src/host/node-host.js';
import { Runner, type CommandResult, type CommandSpec } from '../../src/host/runner.js';

/** A runner that records each command line and answers `stdout`, exit 0. */
class Recording extends Runner {
  readonly calls: string[] = [];
  constructor(private readonly stdout: string) {
    super();
  }
  override async run(spec: CommandSpec): Promise<CommandResult> {
    this.calls.push([spec.file, ...spec.args].join(' '));
    return { exitCode: 0, stdout: this.stdout, stderr: '' };
  }
}

/** A scratch image root, with PATH holding only an executable `systemctl` (none with `systemctl: false`). */
function withRoot(body: (root: string) => Promise<void>, o = { systemctl: true }): () => Promise<void> {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'asm-erdma-units-'));
    const path = process.env.PATH;
    try {
      mkdirSync(join(root, 'bin'));
      if (o.systemctl) {
        writeFileSync(join(root, 'bin/systemctl'), '#!/bin/sh\n');
        chmodSync(join(root, 'bin/systemctl'), 0o755);
      }
      process.env.PATH = join(root, 'bin');
      await body(root);
    } finally {
      process.env.PATH = path;
      rmSync(root, { recursive: true, force: true });
    }
  };
}

const hostOn = (runner: Runner) =>
  new NodeHost(runner, { dryRun: false, streamInstall: false, confirm: async () => undefined });

function put(root: string, dir: string, name: string): string {
  mkdirSync(join(root, dir), { recursive: true });
  return join(root, dir, name);
}

test(
  'is-enabled of a unit with no file in any unit directory: not-found, systemctl not run',
  withRoot(async (root) => {
    const runner = new Recording('enabled\n');
    assert.equal(await hostOn(runner).unitEnabled('asm_erdma_eth_config.service', root), 'not-found');
    assert.deepEqual(runner.calls, []);
  }),
);

test(
  'is-enabled without systemctl on PATH runs it anyway, so the missing tool is reported',
  withRoot(
    async (root) => {
      const runner = new Recording('disabled\n');
      assert.equal(await hostOn(runner).unitEnabled('asm-erdma.service', root), 'disabled');
      assert.deepEqual(runner.calls, [`systemctl --root=${root} is-enabled asm-erdma.service`]);
    },
    { systemctl: false },
  ),
);

test(
  'is-enabled asks systemctl when the unit, its template or a link to it is there',
  withRoot(async (root) => {
    writeFileSync(put(root, 'usr/lib/systemd/system', 'a.service'), '[Service]\n');
    writeFileSync(put(root, 'etc/systemd/system', 'b@.service'), '[Service]\n');
    symlinkSync('/dev/null', put(root, 'etc/systemd/system', 'masked.service'));
    symlinkSync('/nonexistent/c.service', put(root, 'run/systemd/system', 'c.service'));
    const runner = new Recording('enabled\n');
    const host = hostOn(runner);
    for (const unit of ['a.service', 'b@eth1.service', 'masked.service', 'c.service']) {
      assert.equal(await host.unitEnabled(unit, root), 'enabled', unit);
    }
    assert.deepEqual(
      runner.calls,
      ['a.service', 'b@eth1.service', 'masked.service', 'c.service'].map(
        (u) => `systemctl --root=${root} is-enabled ${u}`,
      ),
    );
  }),
);

test('is-active: a service without a unit file is inactive unasked; other unit types are always asked', async () => {
  const runner = new Recording('active\n');
  const host = hostOn(runner);
  assert.equal(await host.unitActive(`asm-erdma-absent-${process.pid}.service`), 'inactive');
  assert.deepEqual(runner.calls, []);
  assert.equal(await host.unitActive(`asm-erdma-absent-${process.pid}.mount`), 'active');
  assert.deepEqual(runner.calls, [`systemctl is-active asm-erdma-absent-${process.pid}.mount`]);
});
