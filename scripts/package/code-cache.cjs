// node --hash-seed=1 code-cache.cjs BUNDLE CACHE: the V8 code cache of a CLI bundle (which exports main), made
// by running `--help` once so that it holds the functions every start compiles. Run by the Node that will load
// it (the arm64 one under qemu-aarch64). --hash-seed=1: V8 seeds string hashes randomly per process and the
// cache's bytes depend on that seed; a fixed seed makes them the same on every build. Whoever loads the cache
// sets the same flag first (sea-loader.cjs, bin/asm-erdma.js), or V8 rejects it as made with other flags.
'use strict';
const fs = require('node:fs');
const vm = require('node:vm');
const { wrap, createRequire } = require('node:module');

const [bundle, out] = process.argv.slice(2).map((p) => require('node:path').resolve(p));
if (!bundle || !out) throw new Error('usage: node --hash-seed=1 code-cache.cjs BUNDLE CACHE');
if (!process.execArgv.includes('--hash-seed=1')) throw new Error('run me with node --hash-seed=1');
// A fixed name: the cache records it (the loader's own filename replaces it when the cache is used), and the
// build directory's path must not end up in the release.
const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: 'asm-erdma.cjs' });
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, __dirname);
process.stdout.write = () => true;
mod.exports.main(['node', 'asm-erdma', '--help']).then(() => fs.writeFileSync(out, script.createCachedData()));
