import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmcSocket } from '../../src/core/smcss.js';
import { ExitError } from '../../src/exit-codes.js';
import { runDiag } from '../../src/workflows/diag.js';
import { FakeHost, node } from '../helpers/fake-host.js';

const socket = (mode: SmcSocket['mode'], reason?: number): SmcSocket => ({
  state: 'ACTIVE',
  peer: '192.168.0.12:8080',
  mode,
  reason,
  peerReason: undefined,
});

test('diag: one sample counts SMC-R connections and fallbacks, with the reason', async () => {
  const state = node(0);
  state.smcSamples = [[socket('SMCR'), socket('SMCR'), socket('TCP', 0x03030000)]];
  const seen: number[] = [];
  const r = await runDiag(new FakeHost(state), { watchSeconds: undefined, count: undefined }, (s) => seen.push(s.smcr));
  assert.deepEqual(seen, [2]);
  assert.equal(r.samples[0]?.fellBack, 1);
  assert.equal(r.samples[0]?.reasons.length, 1);
  assert.equal(r.fellBack, true);
});

test('diag --watch --count 3 takes three samples; no fallback in any is not fellBack', async () => {
  const state = node(0);
  state.smcSamples = [[socket('SMCR')], [], [socket('SMCR'), socket('SMCR')]];
  const r = await runDiag(new FakeHost(state), { watchSeconds: 0.001, count: 3 }, () => undefined);
  assert.deepEqual(
    r.samples.map((s) => s.smcr),
    [1, 0, 2],
  );
  assert.equal(r.fellBack, false);
});

test('diag without the smc module or smcss stops at once naming both and the fix (exit 8)', async () => {
  const state = node(0);
  state.smcLoaded = false;
  state.tools.clear();
  const e = await runDiag(new FakeHost(state), { watchSeconds: undefined, count: undefined }, () => undefined).catch(
    (x: unknown) => x,
  );
  assert.ok(e instanceof ExitError);
  assert.equal(e.code, 8);
  assert.match(e.message, /the smc kernel module is not loaded .* and smcss is not installed/);
  assert.equal(e.hint, 'modprobe smc && yum install -y smc-tools');
});
