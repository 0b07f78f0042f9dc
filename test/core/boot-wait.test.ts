import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootReadiness, isErdmaFunction, type ErdmaPci } from '../../src/core/boot-wait.js';

const tree = (driver: ErdmaPci['driver'], ...fns: [string | undefined, string | undefined][]): ErdmaPci => ({
  driver,
  functions: fns.map(([d, rdma], i) => ({ address: `0000:00:0${i + 5}.0`, driver: d, rdmaDevice: rdma })),
});

test('eRDMA functions: vendor 0x1ded, device 0x107f or 0x5007, as sysfs prints them', () => {
  assert.ok(isErdmaFunction('0x1ded\n', '0x107f\n'));
  assert.ok(isErdmaFunction('0x1DED', '0x5007'));
  assert.ok(!isErdmaFunction('0x1ded', '0x1000'));
  assert.ok(!isErdmaFunction('0x1af4', '0x107f'), 'virtio');
  assert.ok(!isErdmaFunction(undefined, undefined));
});

test('readiness: every bound function needs its RDMA device with a netdev; unbound ones once live are ignored', () => {
  const ready = (pci: ErdmaPci, devs: string[]) => bootReadiness(pci, new Set(devs)).ready;
  assert.ok(ready(tree('live', ['erdma', 'erdma_0'], ['erdma', 'erdma_1']), ['erdma_0', 'erdma_1']));
  assert.ok(!ready(tree('live', ['erdma', 'erdma_0'], ['erdma', 'erdma_1']), ['erdma_0']), 'no netdev yet');
  assert.ok(!ready(tree('live', ['erdma', 'erdma_0'], ['erdma', undefined]), ['erdma_0']), 'still probing');
  assert.ok(ready(tree('live', ['erdma', 'erdma_0'], [undefined, undefined]), ['erdma_0']), 'refused');
  assert.ok(ready(tree('live', ['erdma', 'erdma_0'], ['vfio-pci', undefined]), ['erdma_0']), 'not ours');
  assert.ok(!ready(tree('coming', ['erdma', 'erdma_0'], [undefined, undefined]), ['erdma_0']), 'init running');
  assert.ok(ready(tree('builtin', ['erdma', 'erdma_0']), ['erdma_0']));
  assert.ok(!ready(tree('absent', [undefined, undefined]), []), 'driver not loaded');
  assert.ok(ready(tree('live', [undefined, undefined]), ['erdma_7']), 'none bound: the first device, as before');
  assert.ok(!ready(tree('live'), []));
  assert.ok(ready(tree('absent'), ['erdma_0']), 'no PCI tree: the first device');
});
