import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot } from '../../src/host/rooted-path.js';

/** A scratch dir holding an image root `img` and a directory `out` beside it (outside the image). */
function withImage(body: (img: string, out: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-rooted-'));
  try {
    const img = join(dir, 'img');
    const out = join(dir, 'out');
    mkdirSync(join(img, 'etc/systemd'), { recursive: true });
    mkdirSync(out);
    body(img, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('plain paths resolve as written, the missing rest taken as written', () => {
  withImage((img) => {
    assert.deepEqual(resolveInRoot(img, 'etc/systemd/system/x.service'), {
      ok: true,
      path: join(img, 'etc/systemd/system/x.service'),
    });
    assert.deepEqual(resolveInRoot(img, '/etc/sysconfig/asm-erdma'), {
      ok: true,
      path: join(img, 'etc/sysconfig/asm-erdma'),
    });
  });
});

test('an absolute link is taken from the image root, and marked as one the kernel would follow out', () => {
  withImage((img, out) => {
    symlinkSync(out, join(img, 'etc/systemd/system'));
    const r = resolveInRoot(img, 'etc/systemd/system/multi-user.target.wants');
    assert.deepEqual(r, {
      ok: true,
      path: join(img, out, 'multi-user.target.wants'),
      kernelLeaves: { link: join(img, 'etc/systemd/system'), target: out },
    });
  });
});

test('.. stops at the image root; a relative link that climbs above it is marked', () => {
  withImage((img) => {
    symlinkSync('../../../../out', join(img, 'etc/systemd/system'));
    assert.deepEqual(resolveInRoot(img, 'etc/systemd/system'), {
      ok: true,
      path: join(img, 'out'),
      kernelLeaves: { link: join(img, 'etc/systemd/system'), target: '../../../../out' },
    });
  });
});

test('a relative link that stays inside resolves like the kernel would: nothing marked', () => {
  withImage((img) => {
    mkdirSync(join(img, 'usr/lib/units'), { recursive: true });
    symlinkSync('../../usr/lib/units', join(img, 'etc/systemd/system'));
    assert.deepEqual(resolveInRoot(img, 'etc/systemd/system/a.service'), {
      ok: true,
      path: join(img, 'usr/lib/units/a.service'),
    });
  });
});

test('links through links, a file in the way, and a loop', () => {
  withImage((img) => {
    mkdirSync(join(img, 'srv/real'), { recursive: true });
    symlinkSync('/srv/hop', join(img, 'etc/systemd/system'));
    symlinkSync('real', join(img, 'srv/hop'));
    const chained = resolveInRoot(img, 'etc/systemd/system/u');
    assert.ok(chained.ok && chained.path === join(img, 'srv/real/u'), JSON.stringify(chained));
    writeFileSync(join(img, 'etc/udev'), 'not a directory');
    assert.deepEqual(resolveInRoot(img, 'etc/udev/rules.d/90.rules'), {
      ok: false,
      reason: `${join(img, 'etc/udev')} is not a directory`,
    });
    symlinkSync('b', join(img, 'a'));
    symlinkSync('a', join(img, 'b'));
    assert.deepEqual(resolveInRoot(img, 'a/x'), {
      ok: false,
      reason: `${join(img, 'a')}: too many levels of symbolic links`,
    });
  });
});
