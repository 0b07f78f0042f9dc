#!/usr/bin/env node
// The npm launcher. CommonJS (bin/package.json) in syntax that any Node can parse, so that an old Node gets
// one clear line instead of a syntax error; the CLI itself is dist/asm-erdma.cjs (scripts/build.js).
'use strict';
var MIN_NODE = [20, 0, 0]; // engines.node in package.json: keep them the same
var BINARY = 'asm-erdma-linux-' + (process.arch === 'arm64' ? 'arm64' : 'x64');

function tooOld(version) {
  var have = version.replace(/^v/, '').split('.').map(Number);
  for (var i = 0; i < 3; i++) if (have[i] !== MIN_NODE[i]) return have[i] < MIN_NODE[i];
  return false;
}

if (tooOld(process.versions.node)) {
  process.stderr.write('error: asm-erdma needs Node.js >= ' + MIN_NODE.join('.') + ', this is v' + process.versions.node +
    ' (install the asm-erdma RPM or use the standalone binary ' + BINARY + ', which need no Node.js)\n');
  process.exit(8);
}

var fs = require('fs');
var path = require('path');
var vm = require('vm');
var Module = require('module');

var file = path.join(__dirname, '..', 'dist', 'asm-erdma.cjs');
var cacheFile = file + '.cache';

// V8 takes a code cache only if the flags match the ones it was made with (a flag hash in its header): the cache is
// made under --hash-seed=1 so that it is the same bytes on every build (scripts/package/code-cache.cjs). Setting the
// flag now changes that hash only: this process's string hashes were seeded when its isolate was made. It is set
// back as soon as the bundle is compiled: Node's own modules (http, child_process, ...) carry code caches made under
// the default flags, and V8 would reject those too, compiling each one from source (~5 ms of every setup).
var v8 = require('v8');
var seedFlag = process.execArgv.filter(function (a) {
  return /^--hash[-_]seed=/.test(a);
}).pop() || '--hash-seed=0';
v8.setFlagsFromString('--hash-seed=1');
var cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch (e) {
  cachedData = undefined;
}
var script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
  filename: file,
  cachedData: cachedData,
  importModuleDynamically: vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
v8.setFlagsFromString(seedFlag);
if (script.cachedDataRejected && process.env.ASM_ERDMA_CHECK_CODE_CACHE === '1') {
  process.stderr.write('asm-erdma: V8 rejected the code cache\n');
}
var mod = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
mod.exports.main(process.argv).then(function (code) {
  process.exitCode = code;
});
