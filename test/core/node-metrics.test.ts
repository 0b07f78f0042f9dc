import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeMetricFamilies, type NodeMetricsInput } from '../../src/core/node-metrics.js';
import { renderExposition } from '../../src/core/prometheus-exposition.js';
import { summarize, type SmcSocket } from '../../src/core/smcss.js';

const tcp = (reason: number): SmcSocket => ({
  state: 'ACTIVE',
  peer: '10.0.0.2:80',
  mode: 'TCP',
  reason,
  peerReason: undefined,
});
const smcr: SmcSocket = {
  state: 'ACTIVE',
  peer: '10.0.0.2:80',
  mode: 'SMCR',
  reason: undefined,
  peerReason: undefined,
};
const at = new Date(0);

const input = (smc: NodeMetricsInput['smc']): NodeMetricsInput => ({
  ready: false,
  checks: [{ id: 'kernel', state: 'warn', detail: '', fix: null }],
  nics: [],
  smc,
  lastSetup: undefined,
  kernelRelease: undefined,
  build: { version: '1', commit: 'abc' },
});

test('each check is a state set: exactly one of ok, warn, fail is 1', () => {
  const text = renderExposition(nodeMetricFamilies(input({ ok: false, error: 'x' })));
  assert.match(text, /^asm_erdma_check\{id="kernel",state="ok"\} 0\nasm_erdma_check\{id="kernel",state="warn"\} 1\n/m);
  assert.match(text, /^asm_erdma_check\{id="kernel",state="fail"\} 0$/m);
});

test('SMC readings from several scopes keep their labels apart (per-pod readings add pod labels)', () => {
  const text = renderExposition(
    nodeMetricFamilies(
      input({
        ok: true,
        scopes: [
          { labels: {}, sample: summarize([smcr], at) },
          { labels: { pod_namespace: 'shop', pod: 'cart-1' }, sample: summarize([tcp(0x03030002), smcr], at) },
        ],
      }),
    ),
  );
  assert.match(text, /^asm_erdma_smc_connections\{mode="smcr"\} 1$/m);
  assert.match(text, /^asm_erdma_smc_connections\{pod_namespace="shop",pod="cart-1",mode="fallback"\} 1$/m);
  assert.match(text, /^asm_erdma_smc_fallback_connections\{pod_namespace="shop",pod="cart-1",reason="NOSMCRDEV"\} 1$/m);
  assert.doesNotMatch(text, /^asm_erdma_smc_fallback_connections\{reason=/m, 'the host scope had no fallback');
});

test('the same reason name from two codes is one series, summed (UNKNOWN for codes not in the table)', () => {
  const text = renderExposition(
    nodeMetricFamilies(
      input({ ok: true, scopes: [{ labels: {}, sample: summarize([tcp(0x03ff0001), tcp(0x03ff0002)], at) }] }),
    ),
  );
  assert.match(text, /^asm_erdma_smc_fallback_connections\{reason="UNKNOWN"\} 2$/m);
});
