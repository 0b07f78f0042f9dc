// Runs the compiled test files with node's own runner. Namespace-heavy e2e files run one at a time
// (2 cores), the rest in parallel.
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
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...all], { stdio: 'inherit' });
process.exit(r.status ?? 1);
