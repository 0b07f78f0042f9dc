import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readErdmaPci } from '../../src/host/erdma-pci.js';

/** A sysfs tree laid out as the kernel does (relative links), under a scratch ASM_ERDMA_SYSROOT. */
function withTree(build: (sys: string) => void, body: () => void): void {
  const root = mkdtempSync(join(tmpdir(), 'asm-erdma-sysfs-'));
  const saved = process.env.ASM_ERDMA_SYSROOT;
  process.env.ASM_ERDMA_SYSROOT = root;
  try {
    const sys = join(root, 'sys');
    mkdirSync(join(sys, 'devices/pci0000:00'), { recursive: true });
    mkdirSync(join(sys, 'bus/pci/devices'), { recursive: true });
    mkdirSync(join(sys, 'bus/pci/drivers/erdma'), { recursive: true });
    mkdirSync(join(sys, 'bus/pci/drivers/virtio-pci'), { recursive: true });
    build(sys);
    body();
  } finally {
    if (saved === undefined) delete process.env.ASM_ERDMA_SYSROOT;
    else process.env.ASM_ERDMA_SYSROOT = saved;
    rmSync(root, { recursive: true, force: true });
  }
}

function pciFunction(sys: string, address: string, vendor: string, device: string, driver?: string): void {
  const dir = join(sys, 'devices/pci0000:00', address);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vendor'), `${vendor}\n`);
  writeFileSync(join(dir, 'device'), `${device}\n`);
  if (driver) symlinkSync(`../../../bus/pci/drivers/${driver}`, join(dir, 'driver'));
  symlinkSync(`../../../devices/pci0000:00/${address}`, join(sys, 'bus/pci/devices', address));
}

function rdmaDevice(sys: string, name: string, address: string): void {
  const dir = join(sys, 'devices/pci0000:00', address, 'infiniband', name);
  mkdirSync(dir, { recursive: true });
  symlinkSync('../../../'.concat(address), join(dir, 'device'));
  mkdirSync(join(sys, 'class/infiniband'), { recursive: true });
  symlinkSync(`../../devices/pci0000:00/${address}/infiniband/${name}`, join(sys, 'class/infiniband', name));
}

test('sysfs: eRDMA functions by vendor/device, their driver and RDMA device; other functions ignored', () => {
  withTree(
    (sys) => {
      pciFunction(sys, '0000:00:03.0', '0x1af4', '0x1041', 'virtio-pci'); // the NIC's virtio function
      pciFunction(sys, '0000:00:05.0', '0x1ded', '0x107f', 'erdma');
      pciFunction(sys, '0000:00:06.0', '0x1ded', '0x5007', 'erdma'); // probing: no RDMA device yet
      pciFunction(sys, '0000:00:07.0', '0x1ded', '0x107f'); // refused: unbound
      rdmaDevice(sys, 'erdma_0', '0000:00:05.0');
      mkdirSync(join(sys, 'module/erdma'), { recursive: true });
      writeFileSync(join(sys, 'module/erdma/initstate'), 'live\n');
    },
    () => {
      assert.deepEqual(readErdmaPci(), {
        functions: [
          { address: '0000:00:05.0', driver: 'erdma', rdmaDevice: 'erdma_0' },
          { address: '0000:00:06.0', driver: 'erdma', rdmaDevice: undefined },
          { address: '0000:00:07.0', driver: undefined, rdmaDevice: undefined },
        ],
        driver: 'live',
      });
    },
  );
});

test('sysfs: the driver loading, built in, or absent; no PCI tree at all', () => {
  withTree(
    (sys) => mkdirSync(join(sys, 'module/erdma/parameters'), { recursive: true }),
    () => assert.deepEqual(readErdmaPci(), { functions: [], driver: 'builtin' }),
  );
  withTree(
    (sys) => {
      mkdirSync(join(sys, 'module/erdma'), { recursive: true });
      writeFileSync(join(sys, 'module/erdma/initstate'), 'coming\n');
    },
    () => assert.equal(readErdmaPci().driver, 'coming'),
  );
  withTree(
    (sys) => rmSync(join(sys, 'bus'), { recursive: true }),
    () => assert.deepEqual(readErdmaPci(), { functions: [], driver: 'absent' }),
  );
});
