import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LinkInfo } from '../../src/core/iproute-json.js';
import {
  erdmaDriverCheck,
  mtuCheck,
  rpFilterCheck,
  smcChecks,
  smcPortsCheck,
  type SmcFacts,
} from '../../src/core/smc-readiness.js';

const healthy: SmcFacts = {
  smcLoaded: true,
  smcDiagLoaded: true,
  sysctls: ['autocorking_size', 'tcp2smc'],
  tcp2smc: '0\n',
  smcss: '/usr/sbin/smcss',
};
const byId = (checks: { id: string; state: string; fix: string | null; detail: string }[], id: string) =>
  checks.find((c) => c.id === id);

test('erdma-driver: loaded (with its compat mode), built in, missing', () => {
  assert.deepEqual(erdmaDriverCheck({ loaded: true, compatMode: 'N', devicesListed: true }), {
    id: 'erdma-driver',
    state: 'ok',
    detail: 'erdma is loaded (compat_mode=N)',
    fix: null,
  });
  assert.equal(erdmaDriverCheck({ loaded: false, compatMode: undefined, devicesListed: true }).state, 'ok');
  const missing = erdmaDriverCheck({ loaded: false, compatMode: undefined, devicesListed: false });
  assert.deepEqual([missing.state, missing.fix], ['fail', 'modprobe erdma']);
});

test('smc checks: every one ok on a healthy node, ids stable', () => {
  const checks = smcChecks(healthy);
  assert.deepEqual(
    checks.map((c) => [c.id, c.state]),
    [
      ['smc-module', 'ok'],
      ['smc-diag', 'ok'],
      ['smc-sysctl', 'ok'],
      ['smc-tcp2smc', 'ok'],
      ['smc-tools', 'ok'],
    ],
  );
});

test('smc checks: each not-ok state has its fix', () => {
  const none = smcChecks({ smcLoaded: false, smcDiagLoaded: false, sysctls: [], tcp2smc: undefined, smcss: undefined });
  assert.deepEqual(
    none.map((c) => [c.id, c.state, c.fix]),
    [
      ['smc-module', 'fail', 'modprobe smc'],
      ['smc-diag', 'warn', 'modprobe smc_diag'],
      ['smc-sysctl', 'warn', 'modprobe smc'],
      ['smc-tcp2smc', 'warn', 'modprobe smc'],
      ['smc-tools', 'warn', 'yum install -y smc-tools'],
    ],
  );
  // smc loaded but this kernel's SMC has no tcp2smc: ASM cannot use it.
  const old = smcChecks({ ...healthy, tcp2smc: undefined });
  assert.equal(byId(old, 'smc-tcp2smc')?.state, 'fail');
  assert.match(byId(old, 'smc-tcp2smc')?.fix ?? '', /kernel upgrade/);
});

test('smc-ports: nothing on 65500–65515 is ok; a listener there fails and is named', () => {
  const at = (address: string, port: number) => ({ address, port });
  assert.equal(smcPortsCheck([at('0.0.0.0', 8080), at('::', 65499), at('::', 65516)]).state, 'ok');
  const taken = smcPortsCheck([at('127.0.0.1', 65500), at('::', 65515)]);
  assert.equal(taken.state, 'fail');
  assert.match(taken.detail, /127\.0\.0\.1:65500, \[::\]:65515$/);
  assert.match(taken.fix ?? '', /ip_local_reserved_ports=65500-65515/);
  assert.equal(smcPortsCheck({ unknown: '/proc/net/tcp is missing' }).state, 'warn');
});

test('rp-filter: effective = max(all, nic); strict warns with the keys to loosen', () => {
  const ok = rpFilterCheck({
    all: 0,
    nics: new Map([
      ['eth1', 2],
      ['eth2', 0],
    ]),
  });
  assert.deepEqual([ok.state, ok.detail], ['ok', 'effective rp_filter: eth1 2 (loose), eth2 0 (off)']);
  const nic = rpFilterCheck({
    all: 0,
    nics: new Map([
      ['eth1', 1],
      ['eth2', 0],
    ]),
  });
  assert.equal(nic.state, 'warn');
  assert.match(nic.fix ?? '', /^sysctl -w net\.ipv4\.conf\.eth1\.rp_filter=2 && printf/);
  const all = rpFilterCheck({
    all: 1,
    nics: new Map([
      ['eth1', 0],
      ['eth0.5', 1],
    ]),
  });
  assert.match(all.detail, /on eth1, eth0\.5/);
  assert.match(all.fix ?? '', /sysctl -w net\.ipv4\.conf\.all\.rp_filter=2 net\.ipv4\.conf\.eth0\/5\.rp_filter=2 /);
  // loose "all" wins over a strict NIC value
  assert.equal(rpFilterCheck({ all: 2, nics: new Map([['eth1', 1]]) }).state, 'ok');
});

const link = (name: string, mtu: number): LinkInfo => ({
  name,
  mac: undefined,
  adminUp: true,
  operstate: 'UP',
  lowerUp: true,
  mtu,
  ipv4: [],
});

test('mtu: same as the primary is ok; a different one warns with ip link set … mtu', () => {
  assert.equal(
    mtuCheck([link('eth0', 8500), link('eth1', 8500)], 'eth0', ['eth1']).detail,
    'eth1 MTU 8500, same as the primary eth0 (jumbo frames)',
  );
  const w = mtuCheck([link('eth0', 8500), link('eth1', 1500), link('eth2', 8500)], 'eth0', ['eth1', 'eth2']);
  assert.deepEqual([w.state, w.fix], ['warn', 'ip link set dev eth1 mtu 8500']);
  assert.equal(mtuCheck([link('eth0', 1500)], 'eth0', []).state, 'ok');
});

test("smc-tcp2smc counts the pod namespaces with tcp2smc on (it is per namespace); the host's value beside", () => {
  const detail = (pods: Parameters<typeof smcChecks>[1]) => byId(smcChecks(healthy, pods), 'smc-tcp2smc')?.detail;
  assert.equal(
    detail({ pods: 5, on: 4, unread: 0 }),
    "net.smc.tcp2smc is on in 4 of 5 pod network namespaces (0 in the host's)",
  );
  assert.equal(
    detail({ pods: 2, on: 1, unread: 1 }),
    "net.smc.tcp2smc is on in 1 of 2 pod network namespaces (0 in the host's; 1 not read in time)",
  );
  assert.equal(
    detail({ pods: 0, on: 0, unread: 0 }),
    "net.smc.tcp2smc exists (0 in the host's namespace; no pod network namespaces on this node)",
  );
  assert.equal(
    detail({ unknown: 'needs root to check', needsRoot: true }),
    "net.smc.tcp2smc exists (0 in the host's namespace; as root, status counts the pods with it on)",
  );
  assert.equal(detail(undefined), "net.smc.tcp2smc exists (0 in the host's namespace; ASM sets it per pod)");
});
