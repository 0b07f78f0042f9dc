import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchLine, batchWord, invalidIfNameReason, shellWord } from '../../src/core/ifname.js';

test("interface names: the kernel's dev_valid_name rules, counted in bytes", () => {
  for (const ok of ['eth0', 'eth0#1', '"q', "a'b", 'x\\', 'é', '123456789012345'])
    assert.equal(invalidIfNameReason(ok), undefined, ok);
  assert.match(invalidIfNameReason('') ?? '', /empty/);
  assert.match(invalidIfNameReason('1234567890123456') ?? '', /16 bytes long/);
  assert.match(invalidIfNameReason('éééééééé') ?? '', /16 bytes long/, '8 characters but 16 bytes');
  for (const bad of ['.', '..']) assert.match(invalidIfNameReason(bad) ?? '', /does not allow/);
  for (const bad of ['a/b', 'a:b', 'a b', 'a\tb', 'a\nb', 'a\u00a0b'])
    assert.match(invalidIfNameReason(bad) ?? '', /which the kernel does not allow/, JSON.stringify(bad));
});

test('batch words: bare when iproute2 reads them literally, quoted otherwise, undefined when impossible', () => {
  assert.equal(batchWord('eth1'), 'eth1');
  assert.equal(batchWord('a"b'), 'a"b', 'a quote inside a word is literal');
  assert.equal(batchWord('"q'), `'"q'`);
  assert.equal(batchWord("'q"), `"'q"`);
  assert.equal(batchWord('x\\'), `'x\\'`, 'a trailing backslash would join the next line');
  assert.equal(batchWord('eth0#1'), undefined, "getcmdline cuts at '#' even inside quotes");
  assert.equal(batchWord(`"a'`), undefined, 'starts with a quote and holds both kinds');
  assert.equal(batchWord(''), undefined);
  assert.equal(batchLine(['link', 'set', 'dev', '"q', 'up']), `link set dev '"q' up`);
  assert.equal(batchLine(['link', 'set', 'dev', 'eth0#1', 'up']), undefined);
});

test('shell words for printed commands', () => {
  assert.equal(shellWord('eth1'), 'eth1');
  assert.equal(shellWord('eth0#1'), `'eth0#1'`);
  assert.equal(shellWord("a'b"), `'a'\\''b'`);
});
