// Runs every compiled test file (dist/test/**/*.test.js) with node's own runner, in two passes. The release tests
// (test/e2e/package.test.js, release-trust.test.js: SEA binaries, an xz RPM, qemu, npm pack, gpg, dnf) run first and
// alone, one file at a time (they share one release build): their CPU load would skew
// the simulator tests that count metadata round trips. Every other file follows, unit and e2e alike, two files at a
// time (sized for a 2-core CI machine). The exit status is non-zero when either pass failed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const all = files('dist/test').sort();
const alone = all.filter((f) => f.endsWith('/package.test.js') || f.endsWith('/release-trust.test.js'));
const rest = all.filter((f) => !alone.includes(f));
const run = (list, concurrency) =>
  spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...list], { stdio: 'inherit' }).status ??
  1;
const first = alone.length > 0 ? run(alone, 1) : 0;
const second = run(rest, 2);
process.exit(first || second);
