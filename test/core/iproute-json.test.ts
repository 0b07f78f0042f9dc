import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddrJson, parseRouteJson, ToolOutputError } from '../../src/core/iproute-json.js';

test('addr JSON: flags, MAC, IPv4 with metric, malformed entries skipped', () => {
  const links = parseAddrJson(
    JSON.stringify([
      {
        ifindex: 2,
        ifname: 'eth1',
        flags: ['BROADCAST', 'UP', 'LOWER_UP'],
        mtu: 8500,
        operstate: 'UP',
        address: '00:16:3E:00:00:01',
        addr_info: [
          { family: 'inet', local: '10.0.0.5', prefixlen: 24, metric: 101, scope: 'global' },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
          { family: 'inet' },
        ],
      },
      { ifname: 'eth2', flags: ['BROADCAST'] },
      { noname: true },
      'junk',
    ]),
  );
  assert.deepEqual(links, [
    {
      name: 'eth1',
      mac: '00:16:3e:00:00:01',
      adminUp: true,
      operstate: 'UP',
      lowerUp: true,
      mtu: 8500,
      ipv4: [{ local: '10.0.0.5', prefixlen: 24, scope: 'global', metric: 101, secondary: false }],
    },
    { name: 'eth2', mac: undefined, adminUp: false, operstate: 'UNKNOWN', lowerUp: false, ipv4: [] },
  ]);
});

test('route JSON: absent fields get iproute2 defaults', () => {
  const [r] = parseRouteJson(
    '[{"dst":"192.168.0.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.168.0.10"}]',
  );
  assert.deepEqual(r, {
    dst: '192.168.0.0/24',
    dev: 'eth0',
    gateway: undefined,
    nexthops: [],
    protocol: 'kernel',
    scope: 'link',
    metric: 0,
    table: 'main',
  });
  assert.equal(parseRouteJson('[{"dst":"default","gateway":"1.1.1.1"}]')[0]?.protocol, 'boot');
});

test('route JSON: a multipath route keeps its nexthops (it has no dev of its own)', () => {
  // As iproute2 6.1 prints `ip route add default proto dhcp metric 100 nexthop via A dev eth0 nexthop via B dev eth0`.
  const text =
    '[{"dst":"default","protocol":"dhcp","metric":100,"flags":[],"nexthops":[' +
    '{"gateway":"192.168.0.253","dev":"eth0","weight":1,"flags":[]},' +
    '{"gateway":"192.168.0.252","dev":"eth0","weight":1,"flags":[]}]}]';
  const [r] = parseRouteJson(text);
  assert.equal(r?.dev, undefined);
  assert.deepEqual(r?.nexthops, [
    { dev: 'eth0', gateway: '192.168.0.253' },
    { dev: 'eth0', gateway: '192.168.0.252' },
  ]);
  const odd = parseRouteJson('[{"dst":"default","nexthops":[1,null,{"dev":7}]}]')[0];
  assert.deepEqual(odd?.nexthops, [{ dev: undefined, gateway: undefined }]);
});

test('non-JSON and non-array output are tool errors; empty output is no entries', () => {
  assert.throws(() => parseAddrJson('Object "addr" is unknown'), ToolOutputError);
  assert.throws(() => parseRouteJson('{"dst":"default"}'), ToolOutputError);
  assert.deepEqual(parseRouteJson(''), []);
});
