/**
 * The eRDMA functions of the PCI tree and the erdma driver's state, read from sysfs (through host/sysroot, so
 * tests give it a scratch tree). core/boot-wait.ts decides from these when the boot wait may end.
 */
import { isErdmaFunction, type DriverState, type ErdmaPci, type PciFunction } from '../core/boot-wait.js';
import { listSysDir, readSysFile, sysLinkName } from './sysroot.js';

const PCI = '/sys/bus/pci/devices';
const RDMA = '/sys/class/infiniband';
const MODULE = '/sys/module/erdma';

function driverState(): DriverState {
  if (listSysDir(MODULE) === undefined) return 'absent';
  // Only a loadable module has initstate; a driver built into the kernel was done before userspace started.
  const state = readSysFile(`${MODULE}/initstate`)?.trim();
  return state === 'coming' || state === 'live' || state === 'going' ? state : 'builtin';
}

/** The PCI tree's eRDMA functions; a tree that cannot be read counts as none (the wait then needs one device). */
export function readErdmaPci(): ErdmaPci {
  try {
    return readTree();
  } catch {
    return { functions: [], driver: 'absent' };
  }
}

function readTree(): ErdmaPci {
  const functions: PciFunction[] = [];
  for (const address of listSysDir(PCI) ?? []) {
    const dir = `${PCI}/${address}`;
    if (!isErdmaFunction(readSysFile(`${dir}/vendor`), readSysFile(`${dir}/device`))) continue;
    functions.push({ address, driver: sysLinkName(`${dir}/driver`), rdmaDevice: undefined });
  }
  if (functions.length > 0) {
    for (const name of listSysDir(RDMA) ?? []) {
      const f = functions.find((x) => x.address === sysLinkName(`${RDMA}/${name}/device`));
      if (f) f.rdmaDevice = name;
    }
  }
  return { functions, driver: driverState() };
}
