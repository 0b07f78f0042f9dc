import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteJson } from '../../src/core/iproute-json.js';
import { erdmaMetric, findPrimary, subnetMismatch, subnetOf } from '../../src/core/topology.js';

const routes = parseRouteJson(
  JSON.stringify([
    { dst: 'default', gateway: '10.1.0.1', dev: 'ens6', metric: 300 },
    { dst: 'default', gateway: '192.168.0.253', dev: 'ens5', protocol: 'dhcp', metric: 100 },
    { dst: '192.168.0.0/24', dev: 'ens5', protocol: 'kernel', scope: 'link', prefsrc: '192.168.0.10', metric: 100 },
    { dst: '172.16.0.0/16', dev: 'ens5', protocol: 'kernel', scope: 'link', prefsrc: '172.16.0.10', metric: 7 },
    { dst: 'default', dev: 'tun0', table: 'local' },
  ]),
);

test('primary is the main-table default route with the lowest metric, whatever its name', () => {
  assert.equal(findPrimary(routes)?.name, 'ens5');
  assert.equal(findPrimary([]), undefined);
});

test('metric is the covering primary kernel route + 1, else the first kernel route, else default', () => {
  const primary = findPrimary(routes);
  assert.ok(primary);
  assert.equal(erdmaMetric(routes, primary, '192.168.0.11'), 101);
  assert.equal(erdmaMetric(routes, primary, '172.16.3.3'), 8);
  assert.equal(erdmaMetric(routes, primary, '10.9.9.9'), 101);
  const onlyDefault = routes.filter((r) => r.dst === 'default');
  assert.equal(erdmaMetric(onlyDefault, primary, '192.168.0.11'), 101);
  const noMetric = parseRouteJson(
    '[{"dst":"default","dev":"eth0","gateway":"10.0.0.1"},' +
      '{"dst":"10.0.0.0/24","dev":"eth0","protocol":"kernel","scope":"link"}]',
  );
  assert.equal(erdmaMetric(noMetric, findPrimary(noMetric) as never, '10.0.0.5'), 1);
});

test("a multipath default route: the primary is its nexthops' device, the gateway its first path's", () => {
  const multipath = parseRouteJson(
    JSON.stringify([
      {
        dst: 'default',
        protocol: 'dhcp',
        metric: 100,
        flags: [],
        nexthops: [
          { gateway: '192.168.0.253', dev: 'eth0', weight: 1 },
          { gateway: '192.168.0.252', dev: 'eth0', weight: 1 },
        ],
      },
      { dst: '192.168.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', metric: 100 },
    ]),
  );
  const primary = findPrimary(multipath);
  assert.equal(primary?.name, 'eth0');
  assert.equal(primary?.defaultRoute.gateway, '192.168.0.253');
  assert.equal(erdmaMetric(multipath, primary as never, '192.168.0.11'), 101);
  const noDevice = parseRouteJson('[{"dst":"default","nexthops":[{"gateway":"1.1.1.1"}]}]');
  assert.equal(findPrimary(noDevice), undefined, 'no device at all');
});

test("subnet mismatch: the eRDMA NIC must be in one of the primary NIC's subnets, with the same prefix", () => {
  const link = (name: string, ...cidrs: string[]) => ({
    name,
    mac: undefined,
    adminUp: true,
    operstate: 'UP',
    ipv4: cidrs.map((c) => {
      const [local = '', len = '0'] = c.split('/');
      return {
        local,
        prefixlen: Number(len),
        scope: c.startsWith('127.') ? 'host' : 'global',
        metric: 0,
        secondary: false,
      };
    }),
  });
  assert.equal(subnetOf('10.0.5.20', 24), '10.0.5.0/24');
  assert.equal(subnetOf('172.16.3.3', 12), '172.16.0.0/12');
  const links = [link('eth0', '192.168.0.10/24', '172.16.0.10/16')];
  const cfg = (address: string, prefix = 24) => ({ address, prefix });
  assert.equal(subnetMismatch(links, 'eth0', 'eth1', cfg('192.168.0.11')), undefined);
  assert.equal(subnetMismatch(links, 'eth0', 'eth1', cfg('172.16.9.9', 16)), undefined, 'any of its subnets');
  assert.deepEqual(subnetMismatch(links, 'eth0', 'eth2', cfg('10.0.5.20')), {
    nic: 'eth2',
    nicSubnet: '10.0.5.0/24',
    primary: 'eth0',
    primarySubnets: ['192.168.0.0/24', '172.16.0.0/16'],
  });
  assert.equal(subnetMismatch(links, 'eth0', 'eth1', cfg('192.168.0.11', 25))?.nicSubnet, '192.168.0.0/25');
  // Nothing to compare with: no judgement.
  assert.equal(subnetMismatch([link('eth0', '127.0.0.2/8')], 'eth0', 'eth1', cfg('10.0.5.20')), undefined);
  assert.equal(subnetMismatch([], 'eth0', 'eth1', cfg('10.0.5.20')), undefined);
});
