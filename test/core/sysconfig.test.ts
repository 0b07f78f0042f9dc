import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInterfaceList } from '../../src/core/option-values.js';
import { parseSysconfig } from '../../src/core/sysconfig.js';

const values = (text: string) => {
  const r = parseSysconfig(text);
  assert.ok(r.ok, JSON.stringify(r));
  return Object.fromEntries([...r.entries].map(([k, e]) => [k, [e.raw, e.line]]));
};

test('KEY=value lines, comments, blank lines, optional quotes; the last assignment wins', () => {
  const text = [
    '# asm-erdma defaults',
    '; also a comment (systemd)',
    '',
    'ASM_ERDMA_METADATA_URL=http://100.100.100.200',
    '  ASM_ERDMA_INTERFACES="eth1 eth2"  ',
    "ASM_ERDMA_MIN_KERNEL='5.10.134-17.3'",
    'ASM_ERDMA_TIMEOUT=60',
    'ASM_ERDMA_TIMEOUT = 90',
    'ASM_ERDMA_SETTLE=0',
  ].join('\n');
  assert.deepEqual(values(text), {
    ASM_ERDMA_METADATA_URL: ['http://100.100.100.200', 4],
    ASM_ERDMA_INTERFACES: ['eth1 eth2', 5],
    ASM_ERDMA_MIN_KERNEL: ['5.10.134-17.3', 6],
    ASM_ERDMA_TIMEOUT: ['90', 8],
    ASM_ERDMA_SETTLE: ['0', 9],
  });
  assert.deepEqual(values(''), {});
  // An empty value means "not set": the built-in default applies.
  assert.deepEqual(values('ASM_ERDMA_TIMEOUT=60\nASM_ERDMA_TIMEOUT=""\nASM_ERDMA_INTERFACES='), {});
  assert.deepEqual(values('ASM_ERDMA_INTERFACES=eth1,eth2'), { ASM_ERDMA_INTERFACES: ['eth1,eth2', 1] });
});

test('an unknown key, a bad value or a malformed line is an error naming its line', () => {
  const cases: [string, number, RegExp][] = [
    ['ASM_ERDMA_TIMOUT=30', 1, /^unknown key ASM_ERDMA_TIMOUT$/],
    ['# ok\nASM_ERDMA_TIMEOUT=soon', 2, /^ASM_ERDMA_TIMEOUT: must be a number of seconds above 0 and at most 3600$/],
    ['ASM_ERDMA_TIMEOUT=0', 1, /above 0/],
    ['ASM_ERDMA_SETTLE=-1', 1, /^ASM_ERDMA_SETTLE: must be a number of seconds from 0 to 3600$/],
    ['\n\nASM_ERDMA_MIN_KERNEL=latest', 3, /^ASM_ERDMA_MIN_KERNEL: 'latest' is not a kernel release$/],
    ['ASM_ERDMA_INTERFACES="eth1 a/b"', 1, /^ASM_ERDMA_INTERFACES: 'a\/b' is not a valid interface name$/],
    ['ASM_ERDMA_METADATA_URL=100.100.100.200', 1, /is not a URL/],
    ['ASM_ERDMA_METADATA_URL=http://100.100.100.200/latest', 1, /has a path/],
    ['ASM_ERDMA_INTERFACES="eth1', 1, /unbalanced or unsupported quoting/],
    ['ASM_ERDMA_INTERFACES="eth1" "eth2"', 1, /unbalanced or unsupported quoting/],
    ['ASM_ERDMA_METADATA_URL="http://$HOST"', 1, /unbalanced or unsupported quoting/],
    ['export ASM_ERDMA_TIMEOUT=30', 1, /is not a KEY=value line/],
    ['eth1 eth2', 1, /is not a KEY=value line/],
  ];
  for (const [text, line, message] of cases) {
    const r = parseSysconfig(text);
    assert.equal(r.ok, false, text);
    if (r.ok) continue;
    assert.equal(r.line, line, text);
    assert.match(r.message, message, text);
    assert.ok(r.hint.length > 0, text);
  }
});

test("a '#' after blanks behind a value is refused naming the line: systemd would keep it in the value", () => {
  const refused = (text: string, line: number, comment: string) => {
    const r = parseSysconfig(text);
    assert.ok(!r.ok, text);
    assert.equal(r.line, line);
    assert.equal(
      r.message,
      `ASM_ERDMA_INTERFACES: '${comment}' after the value is not a comment (systemd reads it as part of the value)`,
    );
    assert.equal(r.hint, 'put the comment on a line of its own, starting with #');
  };
  refused('ASM_ERDMA_INTERFACES=eth1 # the eRDMA NIC', 1, '# the eRDMA NIC');
  refused('# defaults\nASM_ERDMA_INTERFACES="eth1 eth2"\t#both', 2, '#both');
  refused("ASM_ERDMA_INTERFACES='eth1' # one", 1, '# one');
  // Inside quotes, or not after a blank, '#' is part of the value for systemd and a shell alike.
  assert.deepEqual(values('ASM_ERDMA_INTERFACES="eth1 #2"'), { ASM_ERDMA_INTERFACES: ['eth1 #2', 1] });
  assert.deepEqual(values('ASM_ERDMA_INTERFACES=eth#1'), { ASM_ERDMA_INTERFACES: ['eth#1', 1] });
});

// test/e2e/sysconfig.test.ts runs 1.5 M names through the CLI.
test('interface lists keep the first of each name, in order', () => {
  assert.deepEqual(checkInterfaceList('eth2 eth1,eth2  eth3,eth1'), { ok: true, value: ['eth2', 'eth1', 'eth3'] });
  assert.deepEqual(checkInterfaceList(' , '), { ok: true, value: [] });
});
