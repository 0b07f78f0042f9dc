import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExclusive, tempPathFor, writeFileAtomic } from '../../src/host/atomic-file.js';

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-atomic-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a symlink at the target is replaced, never followed; no temp file is left', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'victim'), 'precious\n');
    symlinkSync(join(dir, 'victim'), join(dir, 'owned.json'));
    writeFileAtomic(join(dir, 'owned.json'), '{}\n', 0o644);
    assert.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'precious\n');
    assert.ok(lstatSync(join(dir, 'owned.json')).isFile());
    assert.equal(lstatSync(join(dir, 'owned.json')).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ['owned.json', 'victim']);
  });
});

test('temp files are created exclusively and not through a symlink', () => {
  withDir((dir) => {
    const a = tempPathFor(join(dir, 'x'));
    assert.notEqual(a, tempPathFor(join(dir, 'x')), 'names are not guessable from the pid alone');
    symlinkSync(join(dir, 'victim'), a);
    assert.throws(() => createExclusive(a, 0o600), { code: 'EEXIST' });
    assert.throws(() => readFileSync(join(dir, 'victim')), { code: 'ENOENT' }, 'nothing created through the link');
  });
});
