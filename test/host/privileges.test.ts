import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveCaps, hasNetAdmin } from '../../src/host/privileges.js';

test('CAP_NET_ADMIN is bit 12 of CapEff', () => {
  assert.equal(hasNetAdmin(effectiveCaps('Name:\tnode\nCapEff:\t000001ffffffffff\n')), true);
  assert.equal(hasNetAdmin(effectiveCaps('CapEff:\t0000000000000000\n')), false);
  assert.equal(hasNetAdmin(effectiveCaps('CapEff:\t0000000000001000\n')), true);
  assert.equal(hasNetAdmin(effectiveCaps('no caps line')), false);
});
