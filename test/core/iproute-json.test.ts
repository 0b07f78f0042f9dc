import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddrJson, parseRouteJson, ToolOutputError } from '../../src/core/iproute-json.js';

test('addr JSON: flags, MAC, IPv4 with metric, malformed entries skipped', () => {
  const links = parseAddrJson(JSON.stringify([
    { ifindex: 2, ifname: 'eth1', flags: ['BROADCAST', 'UP', 'LOWER_UP'], mtu: 8500, operstate: 'UP', address: '00:16:3E:00:00:01',
      addr_info: [{ family: 'inet', local: '10.0.0.5', prefixlen: 24, metric: 101, scope: 'global' }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }, { family: 'inet' }] },
    { ifname: 'eth2', flags: ['BROADCAST'] },
    { noname: true },
    'junk',
  ]));
  assert.deepEqual(links, [
    { name: 'eth1', mac: '00:16:3e:00:00:01', adminUp: true, operstate: 'UP', lowerUp: true, mtu: 8500, ipv4: [{ local: '10.0.0.5', prefixlen: 24, scope: 'global', metric: 101, secondary: false }] },
    { name: 'eth2', mac: undefined, adminUp: false, operstate: 'UNKNOWN', lowerUp: false, ipv4: [] },
  ]);
});

test('route JSON: absent fields get iproute2 defaults', () => {
  const [r] = parseRouteJson('[{"dst":"192.168.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.168.0.10"}]');
  assert.deepEqual(r, { dst: '192.168.0.0/24', dev: 'eth0', gateway: undefined, protocol: 'kernel', scope: 'link', metric: 0, table: 'main', prefsrc: '192.168.0.10' });
  assert.equal(parseRouteJson('[{"dst":"default","gateway":"1.1.1.1"}]')[0]?.protocol, 'boot');
});

test('non-JSON and non-array output are tool errors; empty output is no entries', () => {
  assert.throws(() => parseAddrJson('Object "addr" is unknown'), ToolOutputError);
  assert.throws(() => parseRouteJson('{"dst":"default"}'), ToolOutputError);
  assert.deepEqual(parseRouteJson(''), []);
});
