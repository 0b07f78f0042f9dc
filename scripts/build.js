// Build: tsc type-checks and compiles src, test and scripts into dist/; esbuild then bundles the CLI into one
// CommonJS file, dist/asm-erdma.cjs, which bin/ and the standalone binaries run. Start-up dominates a boot-time
// oneshot and every `status`, so the bundle is shaped for it (numbers: docs/benchmarks.md):
// - CommonJS, not ESM: Node 20 compiles an ESM graph without any code cache, and SEAs run CommonJS only;
// - modules a command may not need (http/https, net, os, readline, sea) are
//   evaluated on first use, not at start-up (scripts/bundle-options.js), so `--version` and `--help` load almost
//   nothing beyond commander;
// - whitespace and syntax minified (identifiers kept): less to read at every start;
// - a V8 code cache (dist/asm-erdma.cjs.cache) made after running `--help` and a `setup --dry-run` on a stand-in
//   node (scripts/package/code-cache.cjs): the launcher hands it to vm.Script, V8 checks it matches this Node's
//   version and flags and silently recompiles when it does not.
// SOURCE_DATE_EPOCH (set by scripts/package/release.js from the commit) makes the bundle the same bytes each time.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
await build({
  ...bundleOptions(pkg.version),
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/asm-erdma.cjs',
  sourcemap: true,
});
// The code cache: only this Node version accepts it; any other recompiles (see bin/asm-erdma.js). --hash-seed=1
// makes it the same bytes on every build (scripts/package/code-cache.cjs says why).
execFileSync(
  process.execPath,
  ['--hash-seed=1', 'scripts/package/code-cache.cjs', 'dist/asm-erdma.cjs', 'dist/asm-erdma.cjs.cache'],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
