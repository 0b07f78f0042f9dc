import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPackageNode } from '../helpers/packages.js';
import { requireRoot } from '../helpers/sim.js';

test('kernel check at the minimum boundary (rpm order, not semver)', async (t) => {
  const cases: [string, number][] = [
    ['16.2', 10],
    ['16.3', 0],
    ['16.10', 0],
    ['17', 0],
    ['5.10.99-1.al8.x86_64', 10],
    ['5.10.135-1.al8.x86_64', 0],
  ];
  for (const [running, code] of cases) {
    await withPackageNode(t, { running }, async (node) => {
      const r = await node.run(['kernel', 'check', '--json']);
      assert.equal(r.exitCode, code, `${running}: ${r.stderr}`);
      const doc = JSON.parse(r.stdout) as { meets: boolean; minimum: string };
      assert.equal(doc.meets, code === 0);
      assert.equal(doc.minimum, '5.10.134-16.3');
    });
  }
});

test('kernel check: a newer installed kernel means only a reboot is missing', async (t) => {
  await withPackageNode(t, { running: '16.2', installed: ['16.2', '17.3'] }, async (node) => {
    const r = await node.run(['kernel', 'check']);
    assert.equal(r.exitCode, 15);
    assert.equal(
      r.stdout,
      'running kernel 5.10.134-16.2.al8.x86_64 is below the minimum 5.10.134-16.3\n5.10.134-17.3.al8.x86_64 is ' +
        'installed but not running: only a reboot is missing',
    );
    assert.equal(r.stderr, '');
  });
});

test('kernel check --min is a setting (17.3 for newer ASM); a bad --min is a usage error', async (t) => {
  await withPackageNode(t, { running: '17.1' }, async (node) => {
    assert.equal((await node.run(['kernel', 'check'])).exitCode, 0);
    const r = await node.run(['kernel', 'check', '--min', '5.10.134-17.3']);
    assert.equal(r.exitCode, 10);
    assert.match(r.stdout, /below the minimum 5.10.134-17.3/);
    const bad = await node.run(['kernel', 'check', '--min', 'latest']);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /^error: --min 'latest' is not a kernel release like 5.10.134-16.3/);
  });
});

test('kernel list: every repository kernel in rpm order, marked', async (t) => {
  await withPackageNode(t, { running: '16.3', installed: ['16.3', '17'] }, async (node) => {
    const r = await node.run(['kernel', 'list', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      kernels: { release: string; installed: boolean; running: boolean; defaultBoot: boolean; meetsMinimum: boolean }[];
    };
    assert.deepEqual(
      doc.kernels.map((k) => k.release.replace(/^5\.10\.134-|\.al8\.x86_64$/g, '')),
      ['15', '16.1', '16.2', '16.3', '16.10', '17', '17.1', '17.3', '18'],
    );
    const row = (rel: string) => doc.kernels.find((k) => k.release === `5.10.134-${rel}.al8.x86_64`);
    assert.deepEqual(row('16.3'), {
      release: '5.10.134-16.3.al8.x86_64',
      available: true,
      installed: true,
      running: true,
      defaultBoot: false,
      meetsMinimum: true,
    });
    assert.deepEqual(row('17'), {
      release: '5.10.134-17.al8.x86_64',
      available: true,
      installed: true,
      running: false,
      defaultBoot: true,
      meetsMinimum: true,
    });
    assert.equal(row('16.2')?.meetsMinimum, false);
    const human = await node.run(['kernel', 'list']);
    assert.match(human.stdout, /^5\.10\.134-16\.3\.al8\.x86_64\s+installed\s+running\s+-\s+yes$/m);
  });
});

test('kernel upgrade installs the newest kernel with real dnf, and does not reboot unless asked', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.2', installed: ['16.2'] }, async (node) => {
    const r = await node.run(['kernel', 'upgrade', '--yes', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await node.installedKernels(), ['16.2', '18']);
    const doc = JSON.parse(r.stdout) as {
      target: string;
      installed: boolean;
      defaultBootIsTarget: boolean;
      rebootNeeded: boolean;
      rebooting: boolean;
      commands: string[];
    };
    assert.equal(doc.target, '5.10.134-18.al8.x86_64');
    assert.deepEqual(doc.commands, ['yum install -y kernel-5.10.134-18.al8.x86_64']);
    assert.equal(doc.defaultBootIsTarget, true);
    assert.equal(doc.rebootNeeded, true);
    assert.equal(doc.rebooting, false);
    assert.deepEqual(node.reboots(), []);
  });
});

test('kernel upgrade --to R installs exactly R; below the minimum it is refused', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.2', installed: ['16.2'] }, async (node) => {
    const low = await node.run(['kernel', 'upgrade', '--to', '5.10.134-16.2.al8.x86_64', '--yes']);
    assert.equal(low.exitCode, 2);
    assert.match(low.stderr, /--to 5.10.134-16.2.al8.x86_64 is below the minimum 5.10.134-16.3/);
    const absent = await node.run(['kernel', 'upgrade', '--to', '5.10.134-19.al8.x86_64', '--yes']);
    assert.equal(absent.exitCode, 12);
    // What users type: the short release is resolved against the repository listing.
    const r = await node.run(['kernel', 'upgrade', '--to', '5.10.134-17.3', '--yes']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /installed kernel-5.10.134-17.3.al8.x86_64; reboot to run it/);
    assert.deepEqual(await node.installedKernels(), ['16.2', '17.3']);
  });
});

test('kernel upgrade: nothing to do on a kernel that meets the minimum', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.3', installed: ['16.3'] }, async (node) => {
    const r = await node.run(['kernel', 'upgrade', '--yes']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^nothing to do: the running kernel 5.10.134-16.3.al8.x86_64 already meets the minimum/);
    assert.deepEqual(await node.installedKernels(), ['16.3']);
  });
});

test('kernel upgrade without a TTY and without --yes refuses; --dry-run prints the yum command', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.2', installed: ['16.2'] }, async (node) => {
    const r = await node.run(['kernel', 'upgrade']);
    assert.equal(r.exitCode, 13);
    assert.equal(
      r.stderr,
      'error: install kernel-5.10.134-18.al8.x86_64: not confirmed, and there is no terminal to ask on; nothing ' +
        'was changed (add --yes to go ahead without asking)',
    );
    const dry = await node.run(['kernel', 'upgrade', '--dry-run']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    assert.deepEqual(dry.stdout.trim().split('\n'), [
      'dry run: these commands would run (nothing was changed):',
      'yum install -y kernel-5.10.134-18.al8.x86_64',
      'would install kernel-5.10.134-18.al8.x86_64; reboot to run it (or pass --reboot)',
    ]);
    assert.deepEqual(await node.installedKernels(), ['16.2']);
  });
});

test('kernel upgrade asks on a TTY: "n" changes nothing, "y" installs', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.2', installed: ['16.2'] }, async (node) => {
    const no = await node.runOnTty(['kernel', 'upgrade'], 'n\n');
    assert.match(no.stdout, /install kernel-5.10.134-18.al8.x86_64\? \[y\/N\]/);
    assert.match(
      no.stdout,
      new RegExp(
        String.raw`^error: install kernel-5.10.134-18.al8.x86_64: declined; nothing was changed \(run it again ` +
          String.raw`and answer y, or add --yes\)\r?$`,
        'm',
      ),
    );
    assert.equal(no.exitCode, 13);
    assert.deepEqual(await node.installedKernels(), ['16.2']);
    const yes = await node.runOnTty(['kernel', 'upgrade'], 'y\n');
    assert.equal(yes.exitCode, 0, yes.stdout);
    assert.deepEqual(await node.installedKernels(), ['16.2', '18']);
  });
});

test('kernel upgrade --reboot reboots only when the new kernel is the default boot entry', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.2', installed: ['16.2'] }, async (node) => {
    const pinned = await node.run(['kernel', 'upgrade', '--yes', '--reboot'], {
      env: { SIM_GRUBBY_DEFAULT: '5.10.134-16.2.al8.x86_64' },
    });
    assert.equal(pinned.exitCode, 6);
    assert.match(
      pinned.stderr,
      new RegExp(
        'warning: the default boot entry is 5.10.134-16.2.al8.x86_64, not 5.10.134-18.al8.x86_64: run ' +
          String.raw`grubby --set-default \/boot\/vmlinuz-5.10.134-18.al8.x86_64`,
      ),
    );
    assert.deepEqual(node.reboots(), []);
    const r = await node.run(['kernel', 'upgrade', '--yes', '--reboot']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /kernel-5.10.134-18.al8.x86_64 is already installed; rebooting now/);
    assert.deepEqual(node.reboots(), ['reboot']);
  });
});

test('kernel upgrade: --verbose streams yum to stderr; yum missing and not root are clear errors', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.2', installed: ['16.2'] }, async (node) => {
    const v = await node.run(['kernel', 'upgrade', '--to', '5.10.134-17.al8.x86_64', '--yes', '--verbose', '--json']);
    assert.equal(v.exitCode, 0, v.stderr);
    assert.match(v.stderr, /Installed:\s+kernel-5.10.134-17.al8.x86_64/);
    assert.equal((JSON.parse(v.stdout) as { target: string }).target, '5.10.134-17.al8.x86_64');
    const noYum = await node.run(['kernel', 'upgrade', '--yes'], { withoutTools: ['yum'] });
    assert.equal(noYum.exitCode, 8);
    assert.equal(
      noYum.stderr,
      'error: neither yum nor dnf was found on PATH, /usr/sbin or /sbin ' +
        '(install dnf; on Alibaba Cloud Linux 3 yum is dnf)',
    );
    const notRoot = await node.run(['kernel', 'upgrade', '--yes'], { asUser: 65534 });
    assert.equal(notRoot.exitCode, 3);
    assert.match(notRoot.stderr, /^error: kernel upgrade needs root; nothing was changed/);
  });
});

test('hotfix on exactly 16.3 installs once; a second run is a no-op', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.3', installed: ['16.3'] }, async (node) => {
    const r = await node.run(['hotfix', '--yes', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { needed: boolean; installed: boolean; commands: string[] };
    assert.deepEqual(
      [doc.needed, doc.installed, doc.commands],
      [true, true, ['yum install -y kernel-hotfix-16664924-5.10.134-16.3']],
    );
    assert.equal(await node.rpmQuery('kernel-hotfix-16664924-5.10.134-16.3'), true);
    const again = await node.run(['hotfix', '--yes']);
    assert.equal(again.exitCode, 0);
    assert.equal(again.stdout, 'nothing to do: kernel-hotfix-16664924-5.10.134-16.3 is already installed');
  });
});

test('kernel check and status agree: once the hotfix is installed, kernel check no longer asks for it', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.3', installed: ['16.3'] }, async (node) => {
    const before = await node.run(['kernel', 'check', '--json']);
    assert.equal(before.exitCode, 0, before.stderr);
    assert.equal((JSON.parse(before.stdout) as { hotfixNeeded: boolean }).hotfixNeeded, true);
    assert.match((await node.run(['kernel', 'check'])).stdout, /this kernel needs the SMC hotfix: asm-erdma hotfix/);
    assert.equal((await node.run(['hotfix', '--yes'])).exitCode, 0);
    const after = await node.run(['kernel', 'check', '--json']);
    assert.equal((JSON.parse(after.stdout) as { hotfixNeeded: boolean }).hotfixNeeded, false);
    assert.doesNotMatch((await node.run(['kernel', 'check'])).stdout, /hotfix/);
  });
});

test('hotfix elsewhere: not needed on other kernels; on 16.3 with a newer kernel installed, says reboot', async (t) => {
  if (!requireRoot(t)) return;
  for (const running of ['16.2', '17', '5.10.134-16.3.al8.aarch64']) {
    await withPackageNode(t, { running }, async (node) => {
      const r = await node.run(['hotfix', '--yes']);
      assert.equal(r.exitCode, 0, r.stderr);
      if (running.endsWith('aarch64'))
        assert.match(r.stderr + r.stdout, /kernel-hotfix-16664924-5.10.134-16.3/, 'any arch of 16.3 needs it');
      else if (running === '17') assert.match(r.stdout, /^not needed: the running kernel .* is not 5.10.134-16.3/);
      else
        assert.equal(
          r.stdout,
          'not needed: the running kernel 5.10.134-16.2.al8.x86_64 is too old for SMC over eRDMA (below the ' +
            'minimum 5.10.134-16.3): upgrade it: asm-erdma kernel upgrade',
        );
    });
  }
  await withPackageNode(t, { running: '16.3', installed: ['16.3', '17.3'] }, async (node) => {
    const r = await node.run(['hotfix', '--yes']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        'installed kernel-hotfix-16664924-5.10.134-16.3; 5.10.134-17.3.al8.x86_64 is installed too: ' +
          'rebooting into it makes the hotfix unnecessary',
      ),
    );
  });
});

test('hotfix not in any repository is a clear error; --dry-run changes nothing', async (t) => {
  if (!requireRoot(t)) return;
  await withPackageNode(t, { running: '16.3', installed: ['16.3'], withoutHotfix: true }, async (node) => {
    const r = await node.run(['hotfix', '--yes']);
    assert.equal(r.exitCode, 12);
    assert.match(r.stderr, /^error: kernel-hotfix-16664924-5.10.134-16.3 is not in any enabled repository/);
  });
  await withPackageNode(t, { running: '16.3', installed: ['16.3'] }, async (node) => {
    const r = await node.run(['hotfix', '--dry-run']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /yum install -y kernel-hotfix-16664924-5.10.134-16.3/);
    assert.equal(await node.rpmQuery('kernel-hotfix-16664924-5.10.134-16.3'), false);
  });
});
