import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKernelRelease, type KernelRelease } from '../../src/core/kernel-release.js';
import {
  conflictChecks,
  hotfixCheck,
  kernelCheck,
  mergeSetupFixes,
  metadataCheck,
  nicChecks,
  summary,
  unitChecks,
  type NicFacts,
} from '../../src/core/readiness.js';
import { checkKernel } from '../../src/core/kernel-policy.js';
import { parseRouteJson } from '../../src/core/iproute-json.js';
import { findPrimary } from '../../src/core/topology.js';
import { parseInstalledOptions, renderUnit } from '../../src/core/unit.js';

const k = (s: string) => parseKernelRelease(s) as KernelRelease;
const min = k('5.10.134-16.3');

test('kernel: ok, too old, reboot pending, unknown', () => {
  assert.equal(kernelCheck(k('5.10.134-17.3.al8.x86_64'), [], min).state, 'ok');
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
  assert.equal(
    hotfixCheck(k('5.10.134-16.3.al8.x86_64'), { unknown: 'needs root to check', needsRoot: true }, []).needsRoot,
    true,
  );
});

const routes = parseRouteJson(
  '[{"dst":"default","gateway":"192.168.0.253","dev":"eth0","metric":100},' +
    '{"dst":"192.168.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","metric":100}]',
);
const facts = (metric: number, extra: { local: string; prefixlen: number }[] = []): NicFacts => ({
  links: [
    {
      name: 'eth1',
      mac: '00:16:3e:00:00:01',
      adminUp: true,
      operstate: 'UP',
      ipv4: [
        { local: '192.168.0.11', prefixlen: 24, scope: 'global', metric, secondary: false },
        ...extra.map((a) => ({ ...a, scope: 'global', metric: 0, secondary: true })),
      ],
    },
  ],
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

test('metadata: an answer setup would refuse (the gateway, the primary address) fails the check', () => {
  assert.equal(metadataCheck(facts(101)).state, 'ok');
  const gw = metadataCheck({
    ...facts(101),
    desired: new Map([['eth1', { address: '192.168.0.253', prefix: 24, gateway: '192.168.0.253' }]]),
  });
  assert.equal(gw.state, 'fail');
  assert.match(gw.detail, /eth1 would get 192\.168\.0\.253, which is/);
  const bcast = metadataCheck({
    ...facts(101),
    desired: new Map([['eth1', { address: '192.168.0.255', prefix: 24, gateway: '192.168.0.253' }]]),
  });
  assert.equal(bcast.state, 'fail');
  assert.match(bcast.detail, /broadcast/);
});

test('terway: foreign addresses on the eRDMA NIC are a warning only when Terway is present', () => {
  const f = facts(101, [{ local: '192.168.0.50', prefixlen: 24 }]);
  assert.deepEqual(
    conflictChecks({ networkManager: undefined, terwayPresent: false }, f).map((c) => c.id),
    ['network-manager'],
  );
  const terway = conflictChecks({ networkManager: undefined, terwayPresent: true }, f).find((c) => c.id === 'terway');
  assert.equal(terway?.state, 'warn');
});

test('boot unit: missing, disabled, stale, current; legacy enabled', () => {
  const o = { exec: ['/usr/bin/node', '/opt/asm-erdma/bin/asm-erdma.js'], timeoutSeconds: 90, interfaces: ['eth1'] };
  const text = renderUnit(o);
  assert.deepEqual(parseInstalledOptions(text), { timeoutSeconds: 90, interfaces: ['eth1'] });
  const state = (content: string | undefined, enabled: string, expected = text) =>
    unitChecks({ content, expected, enabled, legacyEnabled: 'disabled' })[0]?.state;
  assert.equal(state(undefined, 'not-found'), 'warn');
  assert.equal(state(text, 'disabled'), 'warn');
  assert.equal(state(text, 'enabled', renderUnit({ ...o, exec: ['/usr/bin/node', '/moved/cli.js'] })), 'warn');
  assert.equal(state(text, 'enabled'), 'ok');
  assert.equal(
    unitChecks({ content: text, expected: text, enabled: 'enabled', legacyEnabled: 'enabled' })[1]?.id,
    'legacy-unit',
  );
  assert.deepEqual(
    summary(unitChecks({ content: text, expected: text, enabled: 'enabled', legacyEnabled: 'enabled' })),
    { ready: true, failed: 0, warnings: 1 },
  );
});

test('kernel: at least the minimum but below 17.3 warns, saying why (IPv4-mapped IPv6 over SMC)', () => {
  const w = kernelCheck(k('5.10.134-16.3.al8.x86_64'), [], min);
  assert.equal(w.state, 'warn');
  assert.match(w.detail, /IPv4-mapped IPv6/);
  assert.equal(w.fix, 'asm-erdma kernel upgrade --min 5.10.134-17.3');
  const pending = kernelCheck(k('5.10.134-16.3.al8.x86_64'), [k('5.10.134-17.3.al8.x86_64')], min);
  assert.equal(pending.fix, 'reboot (5.10.134-17.3.al8.x86_64 is installed)');
  assert.equal(kernelCheck(k('5.10.134-17.3.al8.x86_64'), [], min).state, 'ok');
  assert.equal(kernelCheck(k('5.10.134-17.3.al8.x86_64'), [], k('5.10.134-17.3')).state, 'ok');
});

test('hotfix: status and kernel check take the same decision', () => {
  const k163 = k('5.10.134-16.3.al8.x86_64');
  for (const installed of [true, false]) {
    assert.equal(hotfixCheck(k163, installed, []).state === 'fail', checkKernel(k163, [], min, installed).hotfixNeeded);
  }
});

test('NIC: up without carrier (NO-CARRIER) fails; carrier comes from LOWER_UP', () => {
  const f = facts(101);
  const link = f.links[0] as NicFacts['links'][number];
  const noCarrier = nicChecks({ ...f, links: [{ ...link, lowerUp: false, operstate: 'LOWERLAYERDOWN' }] })[0];
  assert.equal(noCarrier?.state, 'fail');
  assert.match(noCarrier?.detail ?? '', /eth1 is up but has no carrier \(operstate LOWERLAYERDOWN, NO-CARRIER\)/);
  assert.equal(nicChecks({ ...f, links: [{ ...link, lowerUp: true, operstate: 'UNKNOWN' }] })[0]?.state, 'ok');
});

test('one asm-erdma setup fix for several NICs (with -i only when not all need it)', () => {
  const c = (id: string, fix: string | null) => ({
    id,
    state: fix ? ('fail' as const) : ('ok' as const),
    detail: '',
    fix,
  });
  const setup = (nic: string) => c(`nic:${nic}`, `asm-erdma setup -i ${nic}`);
  const all = mergeSetupFixes([setup('eth1'), setup('eth2')], ['eth1', 'eth2']);
  assert.deepEqual(
    all.map((x) => x.fix),
    ['asm-erdma setup', 'asm-erdma setup'],
  );
  const some = mergeSetupFixes([c('nic:eth1', null), setup('eth2'), setup('eth3')], ['eth1', 'eth2', 'eth3']);
  const both = 'asm-erdma setup -i eth2 -i eth3';
  assert.deepEqual(
    some.map((x) => x.fix),
    [null, both, both],
  );
  const one = [c('nic:eth1', 'asm-erdma setup -i eth1')];
  assert.deepEqual(mergeSetupFixes(one, ['eth1', 'eth2']), one);
});

test('network-manager: the fix works now (nmcli … managed no) and persists (conf.d unmanaged-devices)', () => {
  const f = facts(101);
  const nm = conflictChecks({ networkManager: new Map([['eth1', 'connected']]), terwayPresent: false }, f)[0];
  assert.equal(nm?.state, 'warn');
  assert.equal(
    nm?.fix,
    'nmcli device set eth1 managed no && ' +
      "printf '[keyfile]\\nunmanaged-devices=interface-name:eth1\\n' > /etc/NetworkManager/conf.d/99-asm-erdma.conf",
  );
  const unmanaged = conflictChecks({ networkManager: new Map([['eth1', 'unmanaged']]), terwayPresent: false }, f);
  assert.equal(unmanaged[0]?.state, 'ok');
});

test("NIC: outside the primary NIC's subnet fails, naming both subnets and the vSwitch fix", () => {
  const eth0 = {
    name: 'eth0',
    mac: '00:16:3e:00:00:00',
    adminUp: true,
    operstate: 'UP',
    ipv4: [{ local: '192.168.0.10', prefixlen: 24, scope: 'global', metric: 0, secondary: false }],
  };
  const same = facts(101);
  assert.equal(nicChecks({ ...same, links: [eth0, ...same.links] })[0]?.state, 'ok');
  const eth1 = {
    ...(same.links[0] as NicFacts['links'][number]),
    ipv4: [{ local: '10.0.5.20', prefixlen: 24, scope: 'global', metric: 101, secondary: false }],
  };
  const other = nicChecks({
    ...same,
    links: [eth0, eth1],
    desired: new Map([['eth1', { address: '10.0.5.20', prefix: 24, gateway: '10.0.5.253' }]]),
  })[0];
  assert.equal(other?.state, 'fail');
  assert.equal(
    other?.detail,
    "eth1 is in 10.0.5.0/24, not in the primary NIC eth0's subnet 192.168.0.0/24: SMC-R over eRDMA needs the " +
      "eRDMA NIC in the primary NIC's subnet and falls back to TCP otherwise",
  );
  assert.match(other?.fix ?? '', /^attach an eRDMA ENI from eth0's vSwitch \(192\.168\.0\.0\/24\) instead of eth1's/);
});
