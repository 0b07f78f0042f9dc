import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withFleet } from '../helpers/fleet.js';

test('smoke', async (t) => {
  await withFleet(t, { nodes: 3 }, async (fleet) => {
    const r = await fleet.playbook();
    console.log(r.stdout, r.stderr, r.ms);
    assert.equal(r.exitCode, 0);
  });
});
