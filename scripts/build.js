// Build: tsc type-checks and compiles src, test and scripts into dist/; esbuild then bundles the CLI into one
// CommonJS file, dist/asm-erdma.cjs, which bin/ and the standalone binaries run. Start-up dominates a boot-time
// oneshot and every `status`, so the bundle is shaped for it (numbers: README "Benchmarks"):
// - CommonJS, not ESM: Node 20 compiles an ESM graph without any code cache, and SEAs run CommonJS only;
// - modules a command may not need (execa and the built-ins it pulls in, http/https, net, readline) are
//   evaluated on first use, not at start-up (lazyModules below), so `--version` and `--help` load almost
//   nothing beyond commander;
// - whitespace and syntax minified (identifiers kept): less to read at every start;
// - a V8 code cache (dist/asm-erdma.cjs.cache) made by running `--help` once: the launcher hands it to
//   vm.Script, V8 checks it matches this Node's version and flags and silently recompiles when it does not.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * Import specifiers whose module is only evaluated when something is first used. Each import of one of these
 * from src/ is swapped for a small module of forwarders that require() the real one on demand; esbuild wraps
 * a require()d module in a lazy initialiser, so nothing of it runs at start-up.
 */
const lazyModules = {
  execa: { named: ['execa'] },
  'node:http': { default: true },
  'node:https': { default: true },
  'node:net': { default: true },
  'node:readline/promises': { named: ['createInterface'] },
};

const lazyPlugin = {
  name: 'lazy-modules',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(lazyModules).map((k) => k.replace(/[/]/g, '\\/')).join('|')})$`);
    b.onResolve({ filter }, (args) => {
      if (args.namespace === 'lazy' || !args.importer.includes('/src/')) return undefined;
      return { path: args.path, namespace: 'lazy' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
      const spec = lazyModules[args.path];
      const load = `let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));`;
      const named = (spec.named ?? []).map((n) => `export const ${n} = (...a) => load().${n}(...a);`);
      // A default import is used as a namespace (http.Agent, https.request): a proxy forwards property reads.
      const dflt = spec.default ? ['export default new Proxy({}, { get: (_, k) => load()[k] });'] : [];
      return { contents: [load, ...named, ...dflt].join('\n'), loader: 'js', resolveDir: process.cwd() };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/asm-erdma.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  legalComments: 'linked',
  define: { ASM_ERDMA_VERSION: JSON.stringify(pkg.version), 'import.meta.url': 'undefined' },
  plugins: [lazyPlugin],
  // Less to read and hash at every start; names are kept so stack traces (--verbose) stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// The code cache: only this Node version accepts it; any other recompiles (see bin/asm-erdma.js).
execFileSync(process.execPath, ['bin/asm-erdma.js', '--help'], {
  stdio: 'ignore',
  env: { ...process.env, ASM_ERDMA_WRITE_CODE_CACHE: '1' },
});
