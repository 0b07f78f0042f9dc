import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteJson } from '../../src/core/iproute-json.js';
import { erdmaMetric, findPrimary } from '../../src/core/topology.js';

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
