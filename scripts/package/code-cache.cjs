// node --hash-seed=1 code-cache.cjs BUNDLE CACHE: the V8 code cache of a CLI bundle (which exports main), made
// by running `--help` once so that it holds the functions every start compiles. Run by the Node that will load
// it (the arm64 one under qemu-aarch64). --hash-seed=1: V8 seeds string hashes randomly per process and the
// cache's bytes depend on that seed; a fixed seed makes them the same on every build. Whoever loads the cache
// sets the same flag first (sea-loader.cjs, bin/asm-erdma.js), or V8 rejects it as made with other flags.
'use strict';
const fs = require('node:fs');
const vm = require('node:vm');
const { wrap, createRequire } = require('node:module');
const v8 = require('node:v8');

const [bundle, out] = process.argv.slice(2, 4).map((p) => require('node:path').resolve(p));
const mode = process.argv[4];
if (!bundle || !out || (mode !== undefined && mode !== '--eager')) {
  throw new Error('usage: node --hash-seed=1 code-cache.cjs BUNDLE CACHE [--eager]');
}
if (!process.execArgv.includes('--hash-seed=1')) throw new Error('run me with node --hash-seed=1');
// --eager: every function compiled now, so the cache holds the whole CLI, not only what `--help` runs: a command's
// own code (setup's workflow) then starts without V8 parsing and compiling it (issue 17: setup vs the Node floor).
// The flag is set back before the cache is made: V8 checks the flags' hash when it loads one, and must find the
// loader's (which never sets --no-lazy).
if (mode === '--eager') v8.setFlagsFromString('--no-lazy');
// A fixed name: the cache records it (the loader's own filename replaces it when the cache is used), and the
// build directory's path must not end up in the release.
const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: 'asm-erdma.cjs' });
if (mode === '--eager') v8.setFlagsFromString('--lazy');
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, __dirname);
process.stdout.write = () => true;
mod.exports.main(['node', 'asm-erdma', '--help']).then(() => fs.writeFileSync(out, script.createCachedData()));
