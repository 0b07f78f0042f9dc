/**
 * Hostile files (issue 18, items 1–4 and 11): a sysconfig file that is a FIFO, an image whose directories link out
 * of it, unit files that cannot be read or are not files at all, inline comments, 1.5 M interface names, a root
 * without /dev. Each run is checked for its exit code, its one error line, what is on disk afterwards (inside and
 * outside the image) and a generous wall-time bound: none of them may hang.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { CLI } from '../../scripts/sim/sim-node.js';
import { runCli } from '../helpers/cli.js';
import { kernelState, prerequisite, requireRoot, withSim } from '../helpers/sim.js';

const UNIT_DIR = 'etc/systemd/system';
const UNIT = `${UNIT_DIR}/asm-erdma.service`;
const TEMPLATE = `${UNIT_DIR}/asm-erdma-hotplug@.service`;
const WANTS = `${UNIT_DIR}/multi-user.target.wants`;
const RULES = 'etc/udev/rules.d';
const RULE = `${RULES}/90-asm-erdma.rules`;
const SYSCONFIG = 'etc/sysconfig/asm-erdma';
const EXEC = ['--exec', '/usr/bin/asm-erdma'];
/** Generous: each of these runs ends in well under a second when nothing blocks. */
const PROMPT_MS = 15_000;

async function systemctlPresent(t: TestContext): Promise<boolean> {
  const ok = (await execa('systemctl', ['--version'], { reject: false })).exitCode === 0;
  return prerequisite(t, ok ? undefined : 'systemctl is not installed');
}

/** A scratch dir with an image `img` (asm-erdma at /usr/bin inside) and a directory `out` outside it. */
async function withImage(body: (img: string, out: string, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-hostile-'));
  chmodSync(dir, 0o755);
  const img = join(dir, 'img');
  const out = join(dir, 'out');
  mkdirSync(join(img, 'usr/bin'), { recursive: true });
  mkdirSync(join(img, 'etc/systemd'), { recursive: true });
  mkdirSync(join(img, 'etc/udev'), { recursive: true });
  writeFileSync(join(img, 'usr/bin/asm-erdma'), '', { mode: 0o755 });
  mkdirSync(out);
  writeFileSync(join(out, 'keep'), 'outside the image\n');
  try {
    await body(img, out, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every entry under `dir`: its type, mode, owner and content or link target — what "nothing changed" compares. */
function snapshot(dir: string): Record<string, string> {
  const tree: Record<string, string> = {};
  const walk = (p: string): void => {
    const st = lstatSync(p);
    const key = relative(dir, p) || '.';
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}`;
    if (st.isSymbolicLink()) tree[key] = `link ${readlinkSync(p)}`;
    else if (st.isFile()) tree[key] = `file ${meta} ${readFileSync(p, 'utf8')}`;
    else if (st.isDirectory()) {
      tree[key] = `dir ${meta}`;
      for (const name of readdirSync(p)) walk(join(p, name));
    } else tree[key] = `${st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'other'} ${meta}`;
  };
  walk(dir);
  return tree;
}

async function timed(run: Promise<{ exitCode: number; stdout: string; stderr: string }>) {
  const started = Date.now();
  const r = await run;
  return { ...r, ms: Date.now() - started };
}

/** Exactly one line on stderr, matching `re`. */
function oneLine(stderr: string, re: RegExp): void {
  assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
  assert.match(stderr, re);
}

test('item 1: a FIFO as the sysconfig file is refused at once (exit 2): setup --timeout 2, status', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const fifo = join(node.dir, 'asm-erdma');
    execFileSync('mkfifo', [fifo]);
    const before = await kernelState(node);
    for (const args of [['setup', '--timeout', '2'], ['status']]) {
      const r = await timed(node.cli(args, { ASM_ERDMA_SYSCONFIG: fifo }));
      assert.equal(r.exitCode, 2, `${args[0]}: ${r.stderr}`);
      assert.equal(
        r.stderr.trimEnd(),
        `error: ${fifo} is a FIFO, not a regular file (it must be a regular file of KEY=value lines: ` +
          `replace or remove ${fifo})`,
      );
      assert.ok(r.ms < PROMPT_MS, `${args[0]} took ${r.ms} ms`);
    }
    assert.ok(lstatSync(fifo).isFIFO(), 'left as it was');
    assert.deepEqual(await kernelState(node), before, 'nothing changed');
  });
});

test("item 1: install-service --root: the image's sysconfig FIFO is refused (exit 2), nothing written", async (t) => {
  if (!(await systemctlPresent(t))) return;
  await withImage(async (img) => {
    mkdirSync(join(img, 'etc/sysconfig'));
    execFileSync('mkfifo', [join(img, SYSCONFIG)]);
    const before = snapshot(img);
    const r = await timed(runCli(['install-service', '--root', img, ...EXEC]));
    assert.equal(r.exitCode, 2, r.stderr);
    oneLine(r.stderr, new RegExp(`^error: ${img}/${SYSCONFIG} is a FIFO, not a regular file \\(`));
    assert.ok(r.ms < PROMPT_MS, `${r.ms} ms`);
    assert.deepEqual(snapshot(img), before);
  });
});

test('item 2: --root whose unit directory links out of the image is refused, nothing changes anywhere', async (t) => {
  if (!(await systemctlPresent(t))) return;
  const links: [string, (out: string, img: string) => string][] = [
    [UNIT_DIR, (out) => out], // absolute
    [UNIT_DIR, (out, img) => relative(join(img, 'etc/systemd'), out)], // ../../.. above the image
    [WANTS, (out) => out], // where systemctl enable makes its link
    [`${UNIT_DIR}/timers.target.wants`, (out) => out], // the metrics timer's
  ];
  for (const [at, target] of links) {
    await withImage(async (img, out, dir) => {
      if (at !== UNIT_DIR) mkdirSync(join(img, UNIT_DIR));
      const to = target(out, img);
      symlinkSync(to, join(img, at));
      const before = snapshot(dir);
      for (const command of ['install-service', 'uninstall-service']) {
        const r = await timed(runCli([command, '--root', img, ...(command === 'install-service' ? EXEC : [])]));
        assert.equal(r.exitCode, 6, `${command} ${at} -> ${to}: ${r.stderr}`);
        assert.equal(
          r.stderr.trimEnd(),
          `error: --root ${img}: ${join(img, at)} links to ${to}, which systemctl --root would follow out of ` +
            'the image; nothing was changed (make it a directory, or a relative link that stays inside the image)',
        );
        assert.ok(r.ms < PROMPT_MS, `${r.ms} ms`);
        assert.deepEqual(snapshot(dir), before, 'nothing created, written or deleted, inside the image or out');
      }
    });
  }
});

test('item 2: links the image resolves inside itself are followed as if it were /, never above it', async (t) => {
  if (!(await systemctlPresent(t))) return;
  await withImage(async (img, out) => {
    const outside = snapshot(out);
    // The rule directory links to an absolute path: inside the image that is img + the path, not this machine's.
    symlinkSync(out, join(img, RULES));
    // The unit directory is a relative link that stays inside: systemctl --root follows it to the same place.
    mkdirSync(join(img, 'usr/lib/asm-units'), { recursive: true });
    symlinkSync('../../usr/lib/asm-units', join(img, UNIT_DIR));
    // The sysconfig file links to an absolute path inside the image: its timeout sets TimeoutStartSec.
    mkdirSync(join(img, 'etc/sysconfig'));
    writeFileSync(join(img, 'etc/asm-erdma.conf'), 'ASM_ERDMA_TIMEOUT=200\n');
    symlinkSync('/etc/asm-erdma.conf', join(img, SYSCONFIG));

    const r = await runCli(['install-service', '--root', img, ...EXEC, '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const units = join(img, 'usr/lib/asm-units');
    const rules = join(img, out);
    assert.deepEqual((JSON.parse(r.stdout) as { changes: string[] }).changes, [
      `write ${units}/asm-erdma.service (mode 0644)`,
      `write ${units}/asm-erdma-hotplug@.service (mode 0644)`,
      `write ${rules}/90-asm-erdma.rules (mode 0644)`,
      `systemctl --root=${img} enable asm-erdma.service`,
    ]);
    assert.match(readFileSync(join(units, 'asm-erdma.service'), 'utf8'), /^TimeoutStartSec=230$/m);
    assert.equal(readlinkSync(join(units, 'multi-user.target.wants/asm-erdma.service')), `/${UNIT}`);
    assert.match(readFileSync(join(rules, '90-asm-erdma.rules'), 'utf8'), /asm-erdma-hotplug@%k.service/);
    const enabled = await execa('systemctl', [`--root=${img}`, 'is-enabled', 'asm-erdma.service'], { reject: false });
    assert.equal(String(enabled.stdout).trim(), 'enabled');
    assert.deepEqual(snapshot(out), outside, 'nothing written outside the image');

    const un = await runCli(['uninstall-service', '--root', img]);
    assert.equal(un.exitCode, 0, un.stderr);
    for (const f of ['asm-erdma.service', 'asm-erdma-hotplug@.service', 'multi-user.target.wants/asm-erdma.service'])
      assert.throws(() => lstatSync(join(units, f)), { code: 'ENOENT' }, f);
    assert.throws(() => lstatSync(join(rules, '90-asm-erdma.rules')), { code: 'ENOENT' });
    assert.deepEqual(snapshot(out), outside, 'nothing deleted outside the image');
  });
  await withImage(async (img, out, dir) => {
    const outside = snapshot(out);
    // `..` stops at the image root, as it does at `/`: this lands in img/out, not in the directory beside img.
    symlinkSync('../../../../../../../../../../out', join(img, RULES));
    // --exec is looked for inside the image the same way: /usr/sbin there links to the image's /opt/asm-erdma-e2e.
    mkdirSync(join(img, 'opt/asm-erdma-e2e'), { recursive: true });
    writeFileSync(join(img, 'opt/asm-erdma-e2e/asm-erdma'), '', { mode: 0o755 });
    symlinkSync('/opt/asm-erdma-e2e', join(img, 'usr/sbin'));
    const r = await runCli(['install-service', '--root', img, '--exec', '/usr/sbin/asm-erdma']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(readFileSync(join(img, UNIT), 'utf8'), /^ExecStart=\/usr\/sbin\/asm-erdma setup --wait$/m);
    assert.ok(lstatSync(join(img, 'out/90-asm-erdma.rules')).isFile());
    assert.deepEqual(snapshot(out), outside);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.rules')));
  });
});

test('item 3: a unit file this user cannot read is refused before any change (exit 6), and kept', async (t) => {
  if (!(await systemctlPresent(t)) || !requireRoot(t)) return;
  await withImage(async (img) => {
    mkdirSync(join(img, UNIT_DIR));
    writeFileSync(join(img, UNIT), '[Service]\nExecStart=/bin/true\n', { mode: 0o600 });
    execFileSync('chown', ['-R', '65534:65534', img]);
    chownSync(join(img, UNIT), 0, 0); // another owner, mode 600: nobody cannot read it
    const before = snapshot(img);
    for (const command of ['install-service', 'uninstall-service']) {
      const args = [command, '--root', img, ...(command === 'install-service' ? EXEC : [])];
      const r = await timed(runCli(args, { asUser: 65534 }));
      assert.equal(r.exitCode, 6, `${command}: ${r.stderr}`);
      oneLine(
        r.stderr,
        new RegExp(
          `^error: cannot read ${img}/${UNIT}: EACCES; nothing was changed \\(run as root, or as the owner of ` +
            'the file: what is there must be known before it is replaced\\)$',
        ),
      );
      assert.ok(r.ms < PROMPT_MS, `${r.ms} ms`);
      assert.deepEqual(snapshot(img), before, `${command}: the unit is still there, nothing else written`);
    }
    // A directory this user cannot look into: what is in it is unknown, so that is refused the same way.
    chmodSync(join(img, UNIT), 0o644);
    mkdirSync(join(img, RULES));
    chownSync(join(img, 'etc/udev'), 0, 0);
    chmodSync(join(img, 'etc/udev'), 0o700);
    const hidden = snapshot(img);
    const r = await runCli(['install-service', '--root', img, ...EXEC], { asUser: 65534 });
    assert.equal(r.exitCode, 6, r.stderr);
    oneLine(r.stderr, new RegExp(`^error: --root ${img}: cannot look at ${img}/${RULES}: EACCES; nothing was changed`));
    assert.deepEqual(snapshot(img), hidden);
  });
});

test('item 4: a FIFO, socket, directory or masking link where a file goes is refused at once (exit 6)', async (t) => {
  if (!(await systemctlPresent(t))) return;
  const nothing = (): void => undefined;
  /** Each makes the odd thing at a path and returns what stops it afterwards. */
  const odd: [string, string, (path: string) => Promise<() => void>][] = [
    [
      UNIT,
      'a FIFO',
      async (p) => {
        execFileSync('mkfifo', [p]);
        return nothing;
      },
    ],
    [
      TEMPLATE,
      'a directory',
      async (p) => {
        mkdirSync(p);
        return nothing;
      },
    ],
    [
      RULE,
      'a socket',
      async (p) => {
        const server = createServer();
        await new Promise<void>((resolve) => server.listen(p, resolve));
        return () => server.close();
      },
    ],
    [
      UNIT,
      'a symbolic link to /dev/null',
      async (p) => {
        symlinkSync('/dev/null', p);
        return nothing;
      },
    ],
  ];
  for (const [at, what, make] of odd) {
    await withImage(async (img) => {
      mkdirSync(join(img, UNIT_DIR));
      mkdirSync(join(img, RULES));
      const cleanUp = await make(join(img, at));
      try {
        const before = snapshot(img);
        for (const command of ['install-service', 'uninstall-service']) {
          const args = [command, '--root', img, ...(command === 'install-service' ? EXEC : [])];
          const r = await timed(runCli(args));
          assert.equal(r.exitCode, 6, `${command} ${what}: ${r.stderr}`);
          const hint = what.endsWith('/dev/null')
            ? 'the unit is masked: systemctl unmask it first'
            : 'asm-erdma writes only regular files there: move it away, then run this again';
          assert.equal(
            r.stderr.trimEnd(),
            `error: ${img}/${at} is ${what}, not a regular file; nothing was changed (${hint})`,
          );
          assert.ok(r.ms < PROMPT_MS, `${command} ${what}: ${r.ms} ms`);
          assert.deepEqual(snapshot(img), before, `${command} ${what}: left as it was`);
        }
      } finally {
        cleanUp();
      }
    });
  }
});

test('item 4: live node, a FIFO at /etc/systemd/system/asm-erdma.service: refused at once, left alone', async (t) => {
  if (!(await systemctlPresent(t)) || !requireRoot(t)) return;
  const privateMounts = [
    'mount -t tmpfs tmpfs /etc/systemd/system',
    'mkfifo /etc/systemd/system/asm-erdma.service',
  ].join(' && ');
  const afterwards = 'stat -c "%F" /etc/systemd/system/asm-erdma.service; ls -A /etc/systemd/system | wc -l';
  for (const command of ['install-service', 'uninstall-service']) {
    const r = await timed(runCli([command], { privateMounts, afterwards }));
    assert.equal(r.exitCode, 6, r.stderr);
    oneLine(
      r.stderr,
      /^error: \/etc\/systemd\/system\/asm-erdma.service is a FIFO, not a regular file; nothing was changed \(/,
    );
    assert.ok(r.ms < PROMPT_MS, `${r.ms} ms`);
    assert.deepEqual(r.stdout.trim().split('\n').slice(-2), ['fifo', '1'], 'the FIFO alone, as it was');
  }
});

test("item 11: an inline '# comment' in the sysconfig file is refused naming file and line (exit 2)", async (t) => {
  await withSim(t, { nics: 2 }, async (node) => {
    const file = join(node.dir, 'asm-erdma');
    writeFileSync(file, '# eRDMA NICs\nASM_ERDMA_INTERFACES=eth1 # the second NIC comes later\n');
    const before = await kernelState(node);
    const r = await node.cli(['setup'], { ASM_ERDMA_SYSCONFIG: file });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.equal(
      r.stderr.trimEnd(),
      `error: ${file} line 2: ASM_ERDMA_INTERFACES: '# the second NIC comes later' after the value is not a ` +
        'comment (systemd reads it as part of the value) (put the comment on a line of its own, starting with #)',
    );
    assert.deepEqual(await kernelState(node), before);
  });
});

test('item 11: 1.5 M names in ASM_ERDMA_INTERFACES are checked in linear time: one short error line', async (t) => {
  await withSim(t, { nics: 1 }, async (node) => {
    const file = join(node.dir, 'asm-erdma');
    const names = Array.from({ length: 1_500_000 }, (_, i) => `n${i}`);
    writeFileSync(file, `ASM_ERDMA_INTERFACES="${names.join(' ')}"\n`);
    const r = await timed(node.cli(['setup', '--dry-run'], { ASM_ERDMA_SYSCONFIG: file }));
    assert.equal(r.exitCode, 4, r.stderr.slice(0, 500));
    assert.equal(
      r.stderr.trimEnd(),
      'error: --interface n0, n1, n2, n3, n4, n5, n6, n7 and 1499992 more: not an eRDMA NIC (eRDMA NICs here: eth1)',
    );
    // Generous: a few seconds on a loaded 2-core machine; the quadratic duplicate check took hours.
    assert.ok(r.ms < 90_000, `${r.ms} ms`);
  });
});

test('item 11: without /dev the error names /dev/urandom, not the unit file; nothing written', async (t) => {
  if (!(await systemctlPresent(t)) || !requireRoot(t)) return;
  await withImage(async (img) => {
    const before = snapshot(img);
    const r = await runCli(['install-service', '--root', img, ...EXEC], { privateMounts: 'mount -t tmpfs tmpfs /dev' });
    assert.equal(r.exitCode, 6, r.stderr);
    oneLine(
      r.stderr,
      new RegExp(
        `^error: cannot write ${img}/${UNIT}: /dev/urandom cannot be opened \\(ENOENT\\); it names the temporary ` +
          'file; nothing was changed \\(mount /dev where this runs',
      ),
    );
    assert.deepEqual(snapshot(img), before, 'not even a directory created');
  });
});

test('item 4: SIGTERM ends install-service while systemctl hangs, and the hung systemctl goes with it', async (t) => {
  if (!(await systemctlPresent(t))) return;
  await withImage(async (img, _out, dir) => {
    // A systemctl that gives its pid (through one FIFO), holds another FIFO open for writing, and never ends:
    // that FIFO reaches end-of-file when the last process holding it has died, the event the test waits for.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const [started, held] = [join(dir, 'started'), join(dir, 'held')];
    execFileSync('mkfifo', [started, held]);
    const script = `#!/bin/sh\nexec 3>'${held}'\necho $$ > '${started}'\nexec sleep 600\n`;
    writeFileSync(join(bin, 'systemctl'), script, { mode: 0o755 });
    const heldUntilDeath = readFile(held, 'utf8').then(() => 'ended');
    mkdirSync(join(img, UNIT_DIR));
    writeFileSync(join(img, UNIT), '[Service]\nExecStart=/bin/true\n'); // so systemctl is asked is-enabled
    const child = spawn(process.execPath, [CLI, 'install-service', '--root', img, ...EXEC], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const systemctlPid = Number(await readFile(started, 'utf8'));
    let bound: NodeJS.Timeout | undefined;
    try {
      const termAt = Date.now();
      child.kill('SIGTERM');
      assert.equal(await exited, 'SIGTERM');
      const late = new Promise<string>((resolve) => {
        bound = setTimeout(() => resolve('still running'), PROMPT_MS);
      });
      assert.equal(await Promise.race([heldUntilDeath, late]), 'ended', 'the hung systemctl was killed with the run');
      assert.ok(Date.now() - termAt < PROMPT_MS, `${Date.now() - termAt} ms after SIGTERM`);
    } finally {
      clearTimeout(bound);
      try {
        process.kill(systemctlPid, 'SIGKILL'); // only when the assertion above failed: nothing may linger
      } catch {}
      await heldUntilDeath;
    }
  });
});
