import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLabelValue, renderExposition, type Family } from '../../src/core/prometheus-exposition.js';

const g = (name: string, samples: Family['samples'], help = 'h'): Family => ({ name, help, type: 'gauge', samples });

test('HELP and TYPE once per family, then its samples; a family without samples is left out', () => {
  const text = renderExposition([
    g('a_b', [
      { labels: { x: '1' }, value: 1 },
      { labels: { x: '2' }, value: 0 },
    ]),
    g('empty', []),
    g('c', [{ labels: {}, value: 1.5 }]),
  ]);
  assert.equal(text, '# HELP a_b h\n# TYPE a_b gauge\na_b{x="1"} 1\na_b{x="2"} 0\n# HELP c h\n# TYPE c gauge\nc 1.5\n');
  assert.equal(renderExposition([g('empty', [])]), '');
});

test('label values escape backslash, double quote and newline; HELP escapes backslash and newline', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const text = renderExposition([g('m', [{ labels: { ifname: 'eth"0\\\n' }, value: 1 }], 'say "x"\\\nnext')]);
  assert.equal(text, '# HELP m say "x"\\\\\\nnext\n# TYPE m gauge\nm{ifname="eth\\"0\\\\\\n"} 1\n');
});

test('special values are written the way Prometheus reads them', () => {
  const text = renderExposition([
    g('v', [
      { labels: { k: 'nan' }, value: Number.NaN },
      { labels: { k: 'inf' }, value: Infinity },
    ]),
  ]);
  assert.match(text, /^v\{k="nan"\} NaN$/m);
  assert.match(text, /^v\{k="inf"\} \+Inf$/m);
});

test('names outside the Prometheus rules, reserved label names and duplicates are refused', () => {
  assert.throws(() => renderExposition([g('9lives', [{ labels: {}, value: 1 }])]), /invalid metric name '9lives'/);
  assert.throws(() => renderExposition([g('a-b', [{ labels: {}, value: 1 }])]), /invalid metric name/);
  assert.throws(() => renderExposition([g('m', [{ labels: { __name__: 'x' }, value: 1 }])]), /invalid label name/);
  assert.throws(() => renderExposition([g('m', [{ labels: { 'if-name': 'x' }, value: 1 }])]), /invalid label name/);
  assert.throws(() => renderExposition([g('m', [{ labels: {}, value: 1 }]), g('m', [])]), /rendered twice/);
  const dup = { labels: { a: '1' }, value: 1 };
  assert.throws(() => renderExposition([g('m', [dup, dup])]), /duplicate series m\{a="1"\}/);
  // Colons are allowed in metric names (recording rules), not in label names.
  assert.doesNotThrow(() => renderExposition([g('job:m:rate', [{ labels: {}, value: 1 }])]));
});
