import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECLINE_ALIASES, DECLINE_REASONS, decodeDecline, formatCode } from '../../src/core/clc-decline.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

/** name → code from the #define lines of a vendored net/smc/smc_clc.h. */
function headerCodes(file: string): Map<string, number> {
  const text = readFileSync(join(REPO_ROOT, 'test/fixtures/smc', file), 'utf8');
  const codes = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+SMC_CLC_DECL_(\w+)\s+(0x[0-9a-fA-F]+)/gm)) {
    codes.set(m[1] as string, parseInt(m[2] as string, 16));
  }
  return codes;
}

const table = new Map(DECLINE_REASONS.map((r) => [r.name, r.code]));

test("the reason table is exactly the kernel header's SMC_CLC_DECL_* codes (OpenAnolis cloud kernel)", () => {
  const header = headerCodes('smc_clc-anolis-6.6.h');
  assert.equal(header.size, 36, 'every #define was read');
  assert.deepEqual([...table].sort(), [...header].sort());
});

test("every code of Linux 5.10 (Alibaba Cloud Linux 3's base) decodes to its own entry", () => {
  const header = headerCodes('smc_clc-linux-5.10.h');
  assert.equal(header.size, 25);
  for (const [name, code] of header) {
    const decoded = decodeDecline(code);
    assert.equal(decoded.name, DECLINE_ALIASES[name] ?? name, formatCode(code));
    assert.ok(decoded.meaning.length > 10 && decoded.fix.length > 10, `${name} has words and a fix`);
  }
});

test('codes are unique, every entry has a meaning and a fix', () => {
  assert.equal(new Set(DECLINE_REASONS.map((r) => r.code)).size, DECLINE_REASONS.length);
  for (const r of DECLINE_REASONS) assert.ok(r.meaning && r.fix, r.name);
  assert.match(decodeDecline(0x03030002).meaning, /no SMC-R device/);
  assert.match(decodeDecline(0x03030002).fix, /asm-erdma setup/);
  assert.match(decodeDecline(0x03010000).fix, /smc\.asm\.alibabacloud\.com\/enabled/);
});

test('an unknown code is decoded by its class; 0 means no reason', () => {
  const unknown = decodeDecline(0x03990000);
  assert.deepEqual(
    [unknown.name, unknown.meaning],
    ['UNKNOWN', "configuration error (code not in this asm-erdma's table)"],
  );
  assert.match(decodeDecline(0x02990000).meaning, /^timeout/);
  assert.match(decodeDecline(0x77000000).meaning, /^unknown reason/);
  assert.equal(decodeDecline(0).name, 'NONE');
  assert.equal(formatCode(0x3010000), '0x03010000');
});
