import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKernelRelease, type KernelRelease } from '../../src/core/kernel-release.js';
import { conflictChecks, hotfixCheck, kernelCheck, nicChecks, summary, unitChecks, type NicFacts } from '../../src/core/readiness.js';
import { parseRouteJson } from '../../src/core/iproute-json.js';
import { findPrimary } from '../../src/core/topology.js';
import { parseInstalledOptions, renderUnit } from '../../src/core/unit.js';

const k = (s: string) => parseKernelRelease(s) as KernelRelease;
const min = k('5.10.134-16.3');

test('kernel: ok, too old, reboot pending, unknown', () => {
  assert.equal(kernelCheck(k('5.10.134-17.al8.x86_64'), [], min).state, 'ok');
  assert.deepEqual(kernelCheck(k('5.10.134-16.2.al8.x86_64'), [], min).fix, 'asm-erdma kernel upgrade');
  const pending = kernelCheck(k('5.10.134-16.2.al8.x86_64'), [k('5.10.134-18.al8.x86_64')], min);
  assert.equal(pending.fix, 'reboot');
  assert.match(pending.detail, /reboot pending/);
  assert.equal(kernelCheck({ unknown: "'uname' was not found on PATH" }, [], min).state, 'fail');
});

test('hotfix: only on 16.3, and unknown rpm state is not "ok"', () => {
  assert.equal(hotfixCheck(k('5.10.134-17.al8.x86_64'), false, []).state, 'ok');
  assert.equal(hotfixCheck(k('5.10.134-16.3.al8.x86_64'), true, []).state, 'ok');
  assert.equal(hotfixCheck(k('5.10.134-16.3.al8.x86_64'), false, []).fix, 'asm-erdma hotfix');
  assert.equal(hotfixCheck(k('5.10.134-16.3.al8.x86_64'), { unknown: 'needs root to check', needsRoot: true }, []).needsRoot, true);
});

const routes = parseRouteJson('[{"dst":"default","gateway":"192.168.0.253","dev":"eth0","metric":100},{"dst":"192.168.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","metric":100}]');
const facts = (metric: number, extra: { local: string; prefixlen: number }[] = []): NicFacts => ({
  links: [{ name: 'eth1', mac: '00:16:3e:00:00:01', adminUp: true, operstate: 'UP', ipv4: [{ local: '192.168.0.11', prefixlen: 24, scope: 'global', metric, secondary: false }, ...extra.map((a) => ({ ...a, scope: 'global', metric: 0, secondary: true }))] }],
  routes,
  primary: findPrimary(routes),
  erdmaNics: ['eth1'],
  desired: new Map([['eth1', { address: '192.168.0.11', prefix: 24, gateway: '192.168.0.253' }]]),
});

test('NIC: address and metric compared with metadata and the primary', () => {
  assert.equal(nicChecks(facts(101))[0]?.state, 'ok');
  const wrong = nicChecks(facts(0))[0];
  assert.equal(wrong?.state, 'fail');
  assert.match(wrong?.detail ?? '', /metric 0, expected 101/);
  assert.equal(nicChecks({ ...facts(101), desired: { unknown: 'ECONNREFUSED' } })[0]?.state, 'warn');
});

test('terway: foreign addresses on the eRDMA NIC are a warning only when Terway is present', () => {
  const f = facts(101, [{ local: '192.168.0.50', prefixlen: 24 }]);
  assert.deepEqual(conflictChecks({ networkManager: undefined, terwayPresent: false }, f).map((c) => c.id), ['network-manager']);
  const terway = conflictChecks({ networkManager: undefined, terwayPresent: true }, f).find((c) => c.id === 'terway');
  assert.equal(terway?.state, 'warn');
});

test('boot unit: missing, disabled, stale, current; legacy enabled', () => {
  const o = { exec: ['/usr/bin/node', '/opt/asm-erdma/bin/asm-erdma.js'], timeoutSeconds: 90, interfaces: ['eth1'] };
  const text = renderUnit(o);
  assert.deepEqual(parseInstalledOptions(text), { timeoutSeconds: 90, interfaces: ['eth1'] });
  const state = (content: string | undefined, enabled: string, expected = text) => unitChecks({ content, expected, enabled, legacyEnabled: 'disabled' })[0]?.state;
  assert.equal(state(undefined, 'not-found'), 'warn');
  assert.equal(state(text, 'disabled'), 'warn');
  assert.equal(state(text, 'enabled', renderUnit({ ...o, exec: ['/usr/bin/node', '/moved/cli.js'] })), 'warn');
  assert.equal(state(text, 'enabled'), 'ok');
  assert.equal(unitChecks({ content: text, expected: text, enabled: 'enabled', legacyEnabled: 'enabled' })[1]?.id, 'legacy-unit');
  assert.deepEqual(summary(unitChecks({ content: text, expected: text, enabled: 'enabled', legacyEnabled: 'enabled' })), { ready: true, failed: 0, warnings: 1 });
});
