/**
 * The release as a node gets it: the x86_64 RPM installed by real dnf from a local createrepo_c repository into a
 * scratch root, its binary run for real (version, setup/reset in the simulator, install-service --root), erased
 * again by dnf; the arm64 binary under qemu-user; the npm tarball installed with npm into a scratch prefix.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { volatileReason } from '../../src/core/exec-path.js';
import { CLI, inPrivateMounts, REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { release, releaseRepo, VERSION } from '../../scripts/fixtures/release-repo.js';
import { dnfInRootArgs } from '../helpers/packages.js';
import { kernelState, prerequisite, withSim } from '../helpers/sim.js';

const TOOLS = [
  'dnf',
  'rpm',
  'rpmbuild',
  'createrepo_c',
  'objdump',
  'strip',
  'aarch64-linux-gnu-strip',
  'qemu-aarch64',
  'systemd-analyze',
  'unshare',
];
const UNIT = 'etc/systemd/system/asm-erdma.service';
const WANTS = 'etc/systemd/system/multi-user.target.wants/asm-erdma.service';

async function packagingTools(t: TestContext): Promise<boolean> {
  for (const tool of TOOLS) {
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0) {
      return prerequisite(t, `${tool} is not installed (scripts/dev-setup.sh installs it)`);
    }
  }
  return prerequisite(t, process.getuid?.() === 0 ? undefined : 'dnf --installroot and the scriptlet chroot need root');
}

/** lstat, not stat: the enablement link is absolute, so it points into the image, not at this host. */
function linkPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function dnf(root: string, args: string[]) {
  return execa('dnf', [...dnfInRootArgs(root), ...args], { reject: false });
}

/** A scratch root wired to the release repository, with asm-erdma installed by dnf (which pulls in the base). */
async function installedRoot(): Promise<string> {
  const repo = releaseRepo();
  const root = mkdtempSync(join(tmpdir(), 'asm-erdma-rpmroot-'));
  mkdirSync(join(root, 'etc/dnf'), { recursive: true });
  mkdirSync(join(root, 'etc/yum.repos.d'), { recursive: true });
  writeFileSync(join(root, 'etc/dnf/dnf.conf'), '[main]\ngpgcheck=0\nkeepcache=0\n');
  const repoFile = `[asm-erdma-release]\nname=asm-erdma release\nbaseurl=file://${repo}\ngpgcheck=0\nenabled=1\n`;
  writeFileSync(join(root, 'etc/yum.repos.d/release.repo'), repoFile);
  const r = await dnf(root, ['install', 'asm-erdma']);
  assert.equal(r.exitCode, 0, `dnf install: ${r.stderr}`);
  return root;
}

async function withInstalled(t: TestContext, body: (root: string) => Promise<void>): Promise<void> {
  if (!(await packagingTools(t))) return;
  const root = await installedRoot();
  try {
    await body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the RPM installs with dnf from a createrepo_c repository, verifies clean and holds what it should', async (t) => {
  await withInstalled(t, async (root) => {
    const q = await execa('rpm', ['--root', root, '-q', 'asm-erdma'], { reject: false });
    assert.equal(String(q.stdout), `asm-erdma-${VERSION}-1.al8.x86_64`);
    const v = await execa('rpm', ['--root', root, '-V', 'asm-erdma'], { reject: false });
    assert.equal(v.exitCode, 0, String(v.stdout));
    assert.equal(String(v.stdout), '');
    const files = String((await execa('rpm', ['--root', root, '-ql', 'asm-erdma'])).stdout).split('\n');
    // The README and docs/ as %doc (the man page points there), and the SBOM.
    assert.ok(files.includes('/usr/share/doc/asm-erdma/README.md'), files.join('\n'));
    assert.ok(files.includes('/usr/share/doc/asm-erdma/asm-erdma.cdx.json'), files.join('\n'));
    assert.deepEqual(
      files.filter((f) => !f.startsWith('/usr/share/doc/')).sort(),
      [
        '/usr/bin/asm-erdma',
        '/usr/share/bash-completion/completions/asm-erdma',
        '/usr/share/licenses/asm-erdma/LICENSE',
        '/usr/share/licenses/asm-erdma/THIRD_PARTY_LICENSES',
        '/usr/share/man/man8/asm-erdma.8.gz',
      ],
      'no unit file: install-service is its only writer',
    );
    const licences = readFileSync(join(root, 'usr/share/licenses/asm-erdma/THIRD_PARTY_LICENSES'), 'utf8');
    for (const p of ['commander@', 'chalk@', 'Node.js 20.20.2']) assert.ok(licences.includes(p), p);
    assert.ok(!licences.includes('execa@'), 'execa is a test tool only, not bundled');
    const info = String((await execa('rpm', ['--root', root, '-qi', 'asm-erdma'])).stdout);
    assert.match(info, /^Architecture: x86_64$/m);
    const rpmFile = join(release(), `asm-erdma-${VERSION}-1.al8.x86_64.rpm`);
    const payload = String((await execa('rpm', ['-qp', '--qf', '%{PAYLOADCOMPRESSOR}', rpmFile])).stdout);
    assert.equal(payload, 'xz');
  });
});

test('the man page and the bash completion cover every command the CLI has', async (t) => {
  await withInstalled(t, async (root) => {
    const help = String((await execa(process.execPath, [CLI, '--help'])).stdout);
    const commands = help.split('Commands:\n')[1]?.split('\n\n')[0] ?? '';
    const names = [...commands.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1] as string).filter((n) => n !== 'help');
    assert.ok(names.includes('setup') && names.includes('status'), commands);
    const man = String((await execa('sh', ['-c', `zcat ${root}/usr/share/man/man8/asm-erdma.8.gz`])).stdout).replace(
      /\\-/g,
      '-',
    );
    assert.match(man, /^\.TH ASM-ERDMA 8 /m);
    for (const n of names) assert.ok(man.includes(`.SS "${n}"`), n);
    const manFile = `${root}/usr/share/man/man8/asm-erdma.8.gz`;
    const rendered = await execa('man', ['-l', '-P', 'cat', manFile], { reject: false, env: { MANWIDTH: '100' } });
    assert.equal(rendered.exitCode, 0, String(rendered.stderr));
    assert.match(String(rendered.stdout), /--metadata-url/);
    const completion = `${root}/usr/share/bash-completion/completions/asm-erdma`;
    const complete = async (line: string) => {
      const words = line.split(' ');
      const quoted = words.map((w) => `'${w}'`).join(' ');
      const script =
        `source ${completion}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; ` +
        `_asm_erdma; echo "\${COMPREPLY[*]}"`;
      return String((await execa('bash', ['-c', script])).stdout)
        .trim()
        .split(' ');
    };
    assert.deepEqual((await complete('asm-erdma ')).filter((w) => !w.startsWith('-')).sort(), [...names].sort());
    assert.deepEqual(await complete('asm-erdma install-service --ro'), ['--root']);
    assert.ok((await complete('asm-erdma kernel ')).includes('upgrade'));
  });
});

test("the installed binary: --version, setup and reset reach the dev build's kernel state", async (t) => {
  await withInstalled(t, async (root) => {
    const bin = join(root, 'usr/bin/asm-erdma');
    const version = await execa(bin, ['--version'], { reject: false });
    assert.equal(String(version.stdout), VERSION);
    await withSim(t, { nics: 2 }, async (node) => {
      const pristine = await kernelState(node);
      assert.equal((await node.cli(['setup'])).exitCode, 0);
      const dev = await kernelState(node);
      assert.notDeepEqual(dev, pristine, 'the dev build changed something');
      assert.equal((await node.cli(['reset'])).exitCode, 0);
      assert.deepEqual(await kernelState(node), pristine);
      const setup = await node.exec(bin, ['setup'], node.cliEnv());
      assert.equal(setup.exitCode, 0, setup.stderr);
      assert.deepEqual(await kernelState(node), dev);
      const reset = await node.exec(bin, ['reset'], node.cliEnv());
      assert.equal(reset.exitCode, 0, reset.stderr);
      assert.deepEqual(await kernelState(node), pristine);
    });
  });
});

test("binary: install-service --root names the image's own binary by its path inside; erase undoes it", async (t) => {
  await withInstalled(t, async (root) => {
    const bin = join(root, 'usr/bin/asm-erdma');
    // On this node the binary runs from the scratch root (under /tmp): a reboot may clear it, so it is refused
    // with the fix, nothing written; a lasting place would be named as it is.
    const dry = await execa(bin, ['install-service', '--dry-run'], { reject: false, env: { NO_COLOR: '1' } });
    const why = volatileReason(realpathSync(bin), homedir());
    if (why) {
      assert.equal(dry.exitCode, 2, String(dry.stderr));
      assert.equal(
        String(dry.stderr).trimEnd(),
        `error: the boot unit cannot start asm-erdma from where it runs now: ${why} ` +
          '(install the RPM (it puts asm-erdma at /usr/bin/asm-erdma), or say where it lives: --exec PATH)',
      );
    } else {
      assert.equal(dry.exitCode, 0, String(dry.stderr));
      assert.match(String(dry.stdout), new RegExp(`^ExecStart=${realpathSync(bin)} setup --wait$`, 'm'));
    }
    // The image's own binary, without --exec: named by its path inside the image, once.
    const own = await execa(bin, ['install-service', '--root', root], { reject: false });
    assert.equal(own.exitCode, 0, String(own.stderr));
    assert.match(readFileSync(join(root, UNIT), 'utf8'), /^ExecStart=\/usr\/bin\/asm-erdma setup --wait$/m);
    const r = await execa(bin, ['install-service', '--root', root, '--exec', '/usr/bin/asm-erdma'], { reject: false });
    assert.equal(r.exitCode, 0, String(r.stderr));
    assert.match(String(r.stdout), /is already up to date/);
    const unit = readFileSync(join(root, UNIT), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/asm-erdma setup --wait$/m);
    assert.match(unit, /^UnsetEnvironment=NODE_OPTIONS$/m);
    const verify = await execa('systemd-analyze', [`--root=${root}`, 'verify', join(root, UNIT)], { reject: false });
    assert.equal(verify.exitCode, 0, String(verify.stderr));
    assert.ok(linkPresent(join(root, WANTS)), 'enabled');

    // Erase the way an image build does: /dev and /proc bound into the root, systemd not running there
    // (SYSTEMD_OFFLINE=1: systemctl ignores stop/daemon-reload, as in any chroot). %preun removes the unit.
    const mounts = 'mount --bind /dev "$1/dev" && mount -t proc proc "$1/proc" && shift && exec "$@"';
    const [unshare = '', ...args] = inPrivateMounts(mounts, [
      root,
      'dnf',
      ...dnfInRootArgs(root),
      'remove',
      'asm-erdma',
    ]);
    const erase = await execa(unshare, args, { reject: false, env: { SYSTEMD_OFFLINE: '1' } });
    assert.equal(erase.exitCode, 0, String(erase.stderr));
    assert.equal((await execa('rpm', ['--root', root, '-q', 'asm-erdma'], { reject: false })).exitCode, 1);
    assert.ok(!existsSync(join(root, UNIT)), 'no unit left behind');
    assert.ok(!linkPresent(join(root, WANTS)), 'no dangling enablement link');
  });
});

test('rpm -e with no systemd to reach: the unit, template, wants link and rule go; the error is shown', async (t) => {
  await withInstalled(t, async (root) => {
    const bin = join(root, 'usr/bin/asm-erdma');
    const r = await execa(bin, ['install-service', '--root', root, '--exec', '/usr/bin/asm-erdma'], { reject: false });
    assert.equal(r.exitCode, 0, String(r.stderr));
    const files = [UNIT, WANTS, 'etc/systemd/system/asm-erdma-hotplug@.service', 'etc/udev/rules.d/90-asm-erdma.rules'];
    for (const f of files) assert.ok(linkPresent(join(root, f)), `${f} installed`);
    // An image build without /proc in the root: the real systemctl cannot tell it is in a chroot, so stop and
    // daemon-reload look for a manager and fail, as in a container. Real rpm runs %preun chrooted into the root.
    const mounts = 'mount --bind /dev "$1/dev" && shift && exec "$@"';
    const [unshare = '', ...args] = inPrivateMounts(mounts, [root, 'rpm', '--root', root, '-e', 'asm-erdma']);
    const erase = await execa(unshare, args, { reject: false, env: { NO_COLOR: '1' } });
    assert.equal(erase.exitCode, 0, `${erase.stdout}\n${erase.stderr}`);
    assert.match(
      String(erase.stderr),
      /^error: asm-erdma\.service's files are removed, but systemd could not stop it or reload: .*systemd/m,
      'the failure is shown, not swallowed',
    );
    assert.equal((await execa('rpm', ['--root', root, '-q', 'asm-erdma'], { reject: false })).exitCode, 1, 'erased');
    for (const f of files) assert.ok(!linkPresent(join(root, f)), `${f} removed`);
    assert.ok(!existsSync(join(root, 'usr/bin/asm-erdma')));
  });
});

test('the arm64 binary prints its version under qemu-aarch64', async (t) => {
  if (!(await packagingTools(t))) return;
  const bin = join(release(), 'asm-erdma-linux-arm64');
  const r = await execa('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', bin, '--version'], { reject: false });
  assert.equal(r.exitCode, 0, String(r.stderr));
  assert.equal(String(r.stdout), VERSION);
});

test("the x64 binary needs no glibc newer than EL8's 2.28", async (t) => {
  if (!(await packagingTools(t))) return;
  const bin = join(release(), 'asm-erdma-linux-x64');
  const dump = String((await execa('objdump', ['-T', bin], { stderr: 'ignore', maxBuffer: 256 << 20 })).stdout);
  const versions = [...dump.matchAll(/GLIBC_2\.(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(versions.length > 10, 'objdump listed versioned symbols');
  assert.ok(Math.max(...versions) <= 28, `needs GLIBC_2.${Math.max(...versions)}`);
});

test('npm pack builds the bundle (prepack); npm install -g of the tarball runs with no dependencies', async (t) => {
  if (!prerequisite(t, process.getuid?.() === 0 ? undefined : 'needs root for a predictable npm prefix')) return;
  // A copy of the sources: prepack rebuilds dist/, which this test run is using.
  const work = mkdtempSync(join(tmpdir(), 'asm-erdma-npm-'));
  try {
    const src = join(work, 'src-copy');
    const sources = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'LICENSE',
      'README.md',
      'bin',
      'src',
      'scripts',
    ];
    for (const f of sources) {
      cpSync(join(REPO_ROOT, f), join(src, f), {
        recursive: true,
        filter: (p) => !p.includes('/runtimes/node_modules'),
      });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(src, 'node_modules'));
    const pack = await execa('npm', ['pack', '--silent', '--pack-destination', work], { cwd: src, reject: false });
    assert.equal(pack.exitCode, 0, String(pack.stderr));
    const tgz = join(work, `asm-erdma-${VERSION}.tgz`);
    const listing = String((await execa('tar', ['tzf', tgz])).stdout)
      .split('\n')
      .sort();
    assert.deepEqual(listing, [
      'package/LICENSE',
      'package/README.md',
      'package/bin/asm-erdma.js',
      'package/bin/package.json',
      'package/dist/asm-erdma.cjs',
      'package/dist/asm-erdma.cjs.cache',
      'package/dist/asm-erdma.cjs.map',
      'package/package.json',
    ]);
    const manifestText = String((await execa('tar', ['xzOf', tgz, 'package/package.json'])).stdout);
    const manifest = JSON.parse(manifestText) as Record<string, unknown>;
    assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
    const prefix = join(work, 'prefix');
    const npmArgs = ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tgz];
    const install = await execa('npm', npmArgs, { reject: false });
    assert.equal(install.exitCode, 0, String(install.stderr));
    const installed = readdirSync(join(prefix, 'lib/node_modules/asm-erdma')).sort();
    assert.deepEqual(
      installed,
      ['LICENSE', 'README.md', 'bin', 'dist', 'package.json'],
      'no node_modules: nothing to fetch',
    );
    const r = await execa(join(prefix, 'bin/asm-erdma'), ['--version'], { reject: false });
    assert.equal(r.exitCode, 0, String(r.stderr));
    assert.equal(String(r.stdout), VERSION);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the launcher on a Node older than engines.node: one line naming the standalone binary, exit 8', async () => {
  const fake = "Object.defineProperty(process.versions, 'node', { value: '18.19.1' }); require(process.argv[1]);";
  const launcher = join(REPO_ROOT, 'bin/asm-erdma.js');
  const r = await execa(process.execPath, ['-e', fake, launcher, '--version'], { reject: false });
  assert.equal(r.exitCode, 8);
  assert.equal(String(r.stdout), '');
  assert.deepEqual(String(r.stderr).split('\n'), [
    'error: asm-erdma needs Node.js >= 20.0.0, this is v18.19.1 ' +
      '(install the asm-erdma RPM or use the standalone binary asm-erdma-linux-x64, which need no Node.js)',
  ]);
  const engines = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
    .engines;
  const min = /MIN_NODE = \[(\d+), (\d+), (\d+)\]/.exec(readFileSync(launcher, 'utf8'))?.slice(1).join('.');
  assert.equal(`>=${min?.replace(/\.0\.0$/, '')}`, engines.node, 'the launcher checks what engines.node says');
  const ok = await execa(process.execPath, [launcher, '--version']);
  assert.equal(String(ok.stdout), VERSION);
});
