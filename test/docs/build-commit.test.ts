/** `--version --json` names the commit a build came from: from git, or ASM_ERDMA_COMMIT where git cannot tell. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

type GitCommit = (env: Record<string, string | undefined>, repo?: string) => string | null;
const gitCommit = async (): Promise<GitCommit> =>
  ((await import(join(REPO_ROOT, 'scripts/bundle-options.js'))) as { gitCommit: GitCommit }).gitCommit;

test('the build commit: ASM_ERDMA_COMMIT first, then git; null only outside a checkout, nothing given', async () => {
  const commitOf = await gitCommit();
  assert.equal(commitOf({ ASM_ERDMA_COMMIT: ' 0123abc ' }), '0123abc');
  const head = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  assert.match(String(commitOf({}, REPO_ROOT)), new RegExp(`^${head}(-dirty)?$`));
  const bare = mkdtempSync(join(tmpdir(), 'asm-erdma-nogit-'));
  try {
    assert.equal(commitOf({}, bare), null);
    assert.equal(commitOf({ ASM_ERDMA_COMMIT: 'feedbee' }, bare), 'feedbee');
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});
