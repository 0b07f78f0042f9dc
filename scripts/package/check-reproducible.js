// The release check that two builds of one commit are the same bytes (.ci/run runs it before npm test; it takes
// 8–9 minutes on a loaded 2-core machine, too long for the test suite). It clones the commit checked out here
// twice into fresh directories, runs `npm ci` (offline from npm's cache where it can) and `npm run package` in
// each, and compares the sha256 of every artefact. Exit 0: all identical; 1: a file differs or is missing (listed).
// Uncommitted changes are not part of the check (a clone has only commits): commit first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
const log = (s) => process.stderr.write(`check-reproducible: ${s}\n`);
const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO }).toString().trim();
const work = mkdtempSync(join(tmpdir(), 'asm-erdma-repro-'));
const env = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
delete env.SOURCE_DATE_EPOCH; // each build takes it from the commit, as a release does

/** One build in a fresh clone: its artefacts' sha256 by file name. */
function buildOnce(name) {
  const dir = join(work, name);
  const started = Date.now();
  execFileSync('git', ['clone', '-q', '--no-hardlinks', REPO, dir], { stdio: 'inherit' });
  execFileSync('git', ['checkout', '-q', '--detach', head], { cwd: dir, stdio: 'inherit' });
  execFileSync('npm', ['ci', '--loglevel=error'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('npm', ['run', 'package', '--silent'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const out = join(dir, 'release');
  const sums = {};
  for (const f of readdirSync(out).sort()) {
    sums[f] = createHash('sha256')
      .update(readFileSync(join(out, f)))
      .digest('hex');
  }
  log(`build ${name}: ${Object.keys(sums).length} files in ${Math.round((Date.now() - started) / 1000)} s`);
  return sums;
}

try {
  log(`building ${head} twice in ${work}`);
  const a = buildOnce('a');
  const b = buildOnce('b');
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const differ = names.filter((n) => a[n] !== b[n]);
  for (const n of names)
    log(`${a[n] === b[n] ? 'same     ' : 'DIFFERENT'} ${n} ${a[n] ?? '(missing)'} ${b[n] ?? '(missing)'}`);
  if (differ.length > 0) {
    log(`not reproducible: ${differ.join(', ')} differ (${join(work, 'a')} and ${join(work, 'b')} are kept)`);
    process.exit(1);
  }
  log(`reproducible: ${names.length} files identical`);
  rmSync(work, { recursive: true, force: true });
} catch (e) {
  log(`failed: ${e.message} (${work} is kept)`);
  process.exit(1);
}
