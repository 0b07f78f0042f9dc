// The standalone binary's SEA main: compiles the CLI bundle (SEA asset asm-erdma.cjs) with its V8 code cache
// (asset asm-erdma.cjs.cache, made by code-cache.cjs on the target's own Node) and runs it. Not Node's own
// `useCodeCache`: V8 makes that cache under a random hash seed, so it differs on every build; this one is made
// under --hash-seed=1 and is the same bytes every time (docs/verify.md, "Reproducible builds").
'use strict';
const sea = require('node:sea');
const vm = require('node:vm');
const path = require('node:path');
const { wrap } = require('node:module');
// V8 takes a code cache only if the flags match the ones it was made with (a flag hash in its header). Setting
// the flag now changes that hash only: this process's string hashes were seeded when its isolate was made. It is
// set back once the bundle is compiled, or V8 would also reject the code caches of Node's own modules (made under
// the default flags) and compile http, child_process and the rest from source at every start.
const v8 = require('node:v8');
const seedFlag = process.execArgv.filter((a) => /^--hash[-_]seed=/.test(a)).pop() ?? '--hash-seed=0';
v8.setFlagsFromString('--hash-seed=1');
const filename = process.execPath;
const script = new vm.Script(wrap(sea.getAsset('asm-erdma.cjs', 'utf8')), {
  filename,
  cachedData: Buffer.from(sea.getRawAsset('asm-erdma.cjs.cache')),
});
v8.setFlagsFromString(seedFlag);
if (script.cachedDataRejected && process.env.ASM_ERDMA_CHECK_CODE_CACHE === '1') {
  process.stderr.write('asm-erdma: V8 rejected the code cache\n');
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
mod.exports.main(process.argv).then((code) => {
  process.exitCode = code;
});
