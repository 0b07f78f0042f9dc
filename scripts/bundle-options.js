// esbuild options shared by the npm bundle (scripts/build.js) and the standalone binaries (scripts/package/).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * Import specifiers whose module is only evaluated when something is first used. Each import of one of these
 * from src/ is swapped for a small module of forwarders that require() the real one on demand; esbuild wraps
 * a require()d module in a lazy initialiser, so nothing of it runs at start-up.
 */
const lazyModules = {
  'node:http': { default: true },
  'node:https': { default: true },
  'node:net': { default: true },
  'node:os': { named: ['availableParallelism', 'homedir'] },
  'node:readline/promises': { named: ['createInterface'] },
  'node:sea': { named: ['isSea'] },
};

const lazyPlugin = {
  name: 'lazy-modules',
  setup(b) {
    const filter = new RegExp(
      `^(${Object.keys(lazyModules)
        .map((k) => k.replace(/[/]/g, '\\/'))
        .join('|')})$`,
    );
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
      return { contents: [load, ...named, ...dflt].join('\n'), loader: 'js', resolveDir: REPO };
    });
  },
};

// `asm-erdma --version --json`: the commit built from ("-dirty" with local changes) and when; SOURCE_DATE_EPOCH
// makes the timestamp reproducible. ASM_ERDMA_COMMIT names the commit where git cannot (a source tarball, a CI
// that exports only the sources); release builds refuse to go without one (scripts/package/release.js).
export function gitCommit(env = process.env, repo = REPO) {
  const given = env.ASM_ERDMA_COMMIT?.trim();
  if (given) return given;
  try {
    // safe.directory: a root CI job building a checkout owned by another user is refused by git otherwise.
    const git = (...args) =>
      execFileSync('git', ['-c', `safe.directory=${repo.replace(/\/$/, '')}`, ...args], {
        cwd: repo,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const head = git('rev-parse', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no');
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

function versionDefines() {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return {
    ASM_ERDMA_COMMIT: JSON.stringify(gitCommit()),
    ASM_ERDMA_BUILT: JSON.stringify(new Date(epoch > 0 ? epoch * 1000 : Date.now()).toISOString()),
  };
}

/** @param {string} version */
export function bundleOptions(version) {
  return {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    legalComments: 'linked',
    define: { ASM_ERDMA_VERSION: JSON.stringify(version), ...versionDefines(), 'import.meta.url': 'undefined' },
    plugins: [lazyPlugin],
    // Less to read and hash at every start; names are kept so stack traces (--verbose) stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
  };
}
