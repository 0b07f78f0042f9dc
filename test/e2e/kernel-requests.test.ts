/** kernel upgrade --to as users type it, hints that carry --min, hotfix on a too-old kernel, yum vs dnf. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPackageNode } from '../helpers/packages.js';
import { screenLines } from '../helpers/screen.js';

test('kernel upgrade --to takes 16.3, 16.3.al8, 16.3.al8.x86_64 or the package name; absent: exit 12', async (t) => {
  await withPackageNode(t, { running: '16.2' }, async (node) => {
    for (const to of [
      '5.10.134-17.3',
      '5.10.134-17.3.al8',
      '5.10.134-17.3.al8.x86_64',
      'kernel-5.10.134-17.3.al8.x86_64',
    ]) {
      const r = await node.run(['kernel', 'upgrade', '--to', to, '--dry-run', '--json']);
      assert.equal(r.exitCode, 0, `${to}: ${r.stderr}`);
      const doc = JSON.parse(r.stdout) as { target: string; commands: string[] };
      assert.equal(doc.target, '5.10.134-17.3.al8.x86_64', to);
      assert.deepEqual(doc.commands, ['yum install -y kernel-5.10.134-17.3.al8.x86_64'], to);
    }
    // 17 is not 17.1 or 17.3: a prefix never matches a longer release.
    const seventeen = await node.run(['kernel', 'upgrade', '--to', '5.10.134-17', '--dry-run', '--json']);
    assert.equal((JSON.parse(seventeen.stdout) as { target: string }).target, '5.10.134-17.al8.x86_64');
    const absent = await node.run(['kernel', 'upgrade', '--to', '5.10.134-19', '--dry-run']);
    assert.equal(absent.exitCode, 12);
    assert.equal(
      absent.stderr,
      'error: kernel 5.10.134-19 is not in any enabled repository for x86_64 (see asm-erdma kernel list)',
    );
    const otherArch = await node.run(['kernel', 'upgrade', '--to', '5.10.134-17.3.al8.aarch64', '--dry-run']);
    assert.equal(otherArch.exitCode, 12, otherArch.stderr);
    const garbage = await node.run(['kernel', 'upgrade', '--to', 'latest', '--dry-run']);
    assert.equal(garbage.exitCode, 2);
    assert.equal(
      garbage.stderr,
      "error: --to 'latest' is not a kernel release like 5.10.134-17.3 (e.g. --to 5.10.134-17.3; asm-erdma " +
        'kernel list shows them)',
    );
    const low = await node.run(['kernel', 'upgrade', '--to', '5.10.134-16.1', '--dry-run']);
    assert.equal(low.exitCode, 2);
    assert.equal(
      low.stderr,
      'error: --to 5.10.134-16.1 is below the minimum 5.10.134-16.3 (pick one at or above it (see asm-erdma ' +
        'kernel list), or lower --min)',
    );
  });
});

test('kernel check --min X hints at kernel upgrade --min X, which then has something to do', async (t) => {
  await withPackageNode(t, { running: '17.1' }, async (node) => {
    const check = await node.run(['kernel', 'check', '--min', '5.10.134-17.3']);
    assert.equal(check.exitCode, 10);
    const hint = /^upgrade it: asm-erdma (kernel upgrade --min 5\.10\.134-17\.3)$/m.exec(check.stdout);
    assert.ok(hint, check.stdout);
    // Follow the hint (as a dry run): it aims at the same minimum instead of answering "nothing to do".
    const follow = await node.run([...(hint[1] as string).split(' '), '--dry-run']);
    assert.equal(follow.exitCode, 0, follow.stderr);
    assert.deepEqual(follow.stdout.split('\n'), [
      'dry run: these commands would run (nothing was changed):',
      'yum install -y kernel-5.10.134-18.al8.x86_64',
      'would install kernel-5.10.134-18.al8.x86_64; reboot to run it (or pass --reboot)',
    ]);
    // At the default minimum the hint stays short, and upgrade has nothing to do.
    const plain = await node.run(['kernel', 'upgrade', '--dry-run']);
    assert.equal(
      plain.stdout,
      'nothing to do: the running kernel 5.10.134-17.1.al8.x86_64 already meets the minimum 5.10.134-16.3',
    );
  });
  await withPackageNode(t, { running: '16.2' }, async (node) => {
    const check = await node.run(['kernel', 'check']);
    assert.match(check.stdout, /^upgrade it: asm-erdma kernel upgrade$/m);
  });
});

test('hotfix says a kernel below the minimum is too old, and carries the --min given', async (t) => {
  await withPackageNode(t, { running: '16.3' }, async (node) => {
    const r = await node.run(['hotfix', '--dry-run', '--min', '5.10.134-17.3', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { needed: boolean; tooOld: boolean; minimum: string; message: string };
    assert.deepEqual([doc.needed, doc.tooOld, doc.minimum], [true, true, '5.10.134-17.3']);
    assert.equal(
      doc.message,
      'would install kernel-hotfix-16664924-5.10.134-16.3; the running kernel 5.10.134-16.3.al8.x86_64 is too ' +
        'old for SMC over eRDMA (below the minimum 5.10.134-17.3): upgrade it: asm-erdma kernel upgrade --min ' +
        '5.10.134-17.3',
    );
  });
  await withPackageNode(t, { running: '15' }, async (node) => {
    const r = await node.run(['hotfix', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { needed: boolean; tooOld: boolean; message: string };
    assert.deepEqual([doc.needed, doc.tooOld], [false, true]);
    assert.match(doc.message, /^not needed: the running kernel 5.10.134-15.al8.x86_64 is too old for SMC over eRDMA/);
  });
});

test('only dnf on PATH: dnf is used and named; a missing tool is named the same way every run', async (t) => {
  await withPackageNode(t, { running: '16.2' }, async (node) => {
    const dnfOnly = await node.run(['kernel', 'upgrade', '--dry-run', '--json'], {
      withoutTools: ['yum'],
      aliases: { dnf: 'yum' },
    });
    assert.equal(dnfOnly.exitCode, 0, dnfOnly.stderr);
    assert.deepEqual((JSON.parse(dnfOnly.stdout) as { commands: string[] }).commands, [
      'dnf install -y kernel-5.10.134-18.al8.x86_64',
    ]);
    // rpm and yum both missing: both named, whichever of the parallel calls fails first.
    const both = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await node.run(['kernel', 'list'], { withoutTools: ['yum', 'rpm'] });
      assert.equal(r.exitCode, 8);
      both.add(r.stderr);
    }
    assert.deepEqual(
      [...both],
      [
        'error: not found on PATH, /usr/sbin or /sbin: rpm, yum or dnf ' +
          '(install rpm; install dnf; on Alibaba Cloud Linux 3 yum is dnf)',
      ],
    );
    const rpmOnly = await node.run(['kernel', 'list'], { withoutTools: ['rpm'] });
    assert.equal(rpmOnly.stderr, "error: 'rpm' was not found on PATH, /usr/sbin or /sbin (install rpm)");
  });
});

test('on a TTY a spinner is cleared before an error is printed (kernel list, rpm missing)', async (t) => {
  await withPackageNode(t, { running: '16.3' }, async (node) => {
    const r = await node.runOnTty(['kernel', 'list'], '', { withoutTools: ['rpm'] });
    assert.equal(r.exitCode, 8, r.stdout);
    assert.match(r.stdout, /querying the repositories for kernel/, 'the spinner was drawn');
    const visible = screenLines(r.stdout.replace(/\r\n/g, '\n')).filter((l) => l.trim() !== '');
    assert.deepEqual(visible, ["error: 'rpm' was not found on PATH, /usr/sbin or /sbin (install rpm)"]);
  });
});
