import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeConflict, findConflicts, type WantedAddress } from '../../src/core/address-conflicts.js';
import { parseAddrJson, parseRouteJson } from '../../src/core/iproute-json.js';

const links = parseAddrJson(
  JSON.stringify([
    {
      ifname: 'lo',
      flags: ['UP'],
      addr_info: [{ family: 'inet', local: '100.100.100.200', prefixlen: 32, scope: 'global' }],
    },
    {
      ifname: 'eth0',
      flags: ['UP'],
      addr_info: [{ family: 'inet', local: '192.168.0.10', prefixlen: 24, scope: 'global' }],
    },
    {
      ifname: 'eth1',
      flags: [],
      addr_info: [{ family: 'inet', local: '192.168.0.77', prefixlen: 24, scope: 'global' }],
    },
    {
      ifname: 'eth3',
      flags: ['UP'],
      addr_info: [{ family: 'inet', local: '192.168.0.13', prefixlen: 24, scope: 'global' }],
    },
  ]),
);
const routes = parseRouteJson(
  JSON.stringify([
    {
      dst: 'default',
      protocol: 'dhcp',
      metric: 100,
      nexthops: [
        { gateway: '192.168.0.253', dev: 'eth0' },
        { gateway: '192.168.0.252', dev: 'eth0' },
      ],
    },
    { dst: '192.168.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.0.10', metric: 100 },
  ]),
);
const want = (nic: string, address: string, prefix = 24, gateway = '192.168.0.253'): WantedAddress => ({
  nic,
  address,
  prefix,
  gateway,
});
const conflicts = (wanted: WantedAddress[]): string[] =>
  findConflicts(wanted, links, routes, 'eth0').map(describeConflict);

test('no conflict for distinct host addresses; a NIC in the run is judged by what it will carry', () => {
  assert.deepEqual(conflicts([want('eth1', '192.168.0.11'), want('eth2', '192.168.0.12')]), []);
  assert.deepEqual(
    conflicts([want('eth2', '192.168.0.77'), want('eth1', '192.168.0.11')]),
    [],
    "eth1's .77 is being replaced",
  );
});

test('each conflict names both sides', () => {
  assert.deepEqual(conflicts([want('eth1', '192.168.0.10')]), [
    'eth1 would get 192.168.0.10, which is the address of eth0 (the primary NIC)',
  ]);
  assert.deepEqual(conflicts([want('eth1', '192.168.0.13')]), [
    'eth1 would get 192.168.0.13, which is already the address of eth3',
  ]);
  assert.deepEqual(conflicts([want('eth1', '192.168.0.253')]), [
    'eth1 would get 192.168.0.253, which is its own gateway',
  ]);
  assert.deepEqual(conflicts([want('eth1', '192.168.0.252')]), [
    'eth1 would get 192.168.0.252, which is the gateway of the default route (via eth0)',
  ]);
  assert.deepEqual(conflicts([want('eth1', '192.168.0.11'), want('eth2', '192.168.0.11')]), [
    'eth2 would get 192.168.0.11, which is also given to eth1 by the metadata server',
  ]);
  assert.deepEqual(conflicts([want('eth1', '192.168.0.255', 16)]), [
    "eth1 would get 192.168.0.255, which is the broadcast address of eth0's subnet 192.168.0.0/24",
  ]);
  assert.deepEqual(conflicts([want('eth1', '192.168.0.0', 16)]), [
    'eth1 would get 192.168.0.0, which is the network address of its subnet 192.168.0.0/16',
  ]);
  assert.deepEqual(conflicts([want('eth1', '100.100.100.200', 24, '100.100.100.1')]), [
    'eth1 would get 100.100.100.200, which is already the address of lo',
  ]);
});

test('/31 and /32 subnets have no network or broadcast address', () => {
  assert.deepEqual(findConflicts([want('eth1', '10.0.0.0', 31, '10.0.0.1')], [], [], 'eth0'), []);
});
