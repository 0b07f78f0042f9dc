/**
 * When the boot wait may end, from what the PCI tree and the erdma driver say (pure; host/erdma-pci.ts reads
 * sysfs). An eRDMA device is a PCI function of vendor 0x1ded, device 0x107f (or 0x5007, the out-of-tree
 * driver's ID), and the erdma driver registers one RDMA device per function it binds. PCI enumeration is done
 * before userspace starts, so at boot the tree already says how many functions there are: the wait ends as soon
 * as every function the driver bound has its RDMA device with a netdev — no fixed settle time.
 *
 * - The driver symlink of a function appears when its probe starts (really_probe adds it before calling the
 *   driver) and goes away if the probe fails: a bound function without an RDMA device is still probing.
 * - /sys/module/erdma/initstate reads `coming` while the module's init (which probes every function) runs.
 * - A function the driver refused (a version register of 0 gives -ENODEV) or deferred stays unbound and is not
 *   waited for; if it binds later, its RDMA device's udev event starts the hot-plug unit.
 */

export const ERDMA_VENDOR = '0x1ded';
export const ERDMA_DEVICES: readonly string[] = ['0x107f', '0x5007'];
export const ERDMA_DRIVER = 'erdma';

export interface PciFunction {
  /** PCI address, e.g. 0000:00:05.0. */
  address: string;
  /** The driver bound to it (the basename of its driver symlink); undefined when none is. */
  driver: string | undefined;
  /** The RDMA device whose `device` link points at this function (erdma_0), if one is registered. */
  rdmaDevice: string | undefined;
}

/** /sys/module/erdma: absent (not loaded), `coming` (init running), `live`, or built into the kernel. */
export type DriverState = 'absent' | 'coming' | 'live' | 'going' | 'builtin';

export interface ErdmaPci {
  /** The eRDMA functions in the PCI tree (vendor and device match), bound or not. */
  functions: PciFunction[];
  driver: DriverState;
}

export interface BootReadiness {
  ready: boolean;
  /** What the wait is for, for the log (undefined when ready). */
  waitingFor?: string;
}

/**
 * Ready or not, given the PCI tree and the RDMA devices that `rdma link show` lists with a netdev.
 * No eRDMA function in the tree (another kind of device, or a tree we cannot read): the first device is enough.
 */
export function bootReadiness(pci: ErdmaPci, withNetdev: ReadonlySet<string>): BootReadiness {
  const ok = (f: PciFunction): boolean => f.rdmaDevice !== undefined && withNetdev.has(f.rdmaDevice);
  if (pci.functions.length === 0) {
    return withNetdev.size > 0 ? { ready: true } : { ready: false, waitingFor: 'eRDMA devices to appear' };
  }
  const count = `${pci.functions.length} eRDMA PCI function(s)`;
  if (pci.driver === 'coming') return { ready: false, waitingFor: `the erdma driver to finish probing ${count}` };
  const bound = pci.functions.filter((f) => f.driver === ERDMA_DRIVER);
  if (bound.length === 0) {
    // Not loaded yet, or every probe deferred: as without a PCI tree, the first device ends the wait.
    if (withNetdev.size > 0) return { ready: true };
    const why = pci.driver === 'absent' ? 'the erdma driver to load' : 'the erdma driver to bind one';
    return { ready: false, waitingFor: `${why} (${count})` };
  }
  const pending = bound.filter((f) => !ok(f));
  if (pending.length === 0) return { ready: true };
  const what = pending.map((f) => `${f.rdmaDevice ?? 'an RDMA device'} of ${f.address}`).join(', ');
  return { ready: false, waitingFor: `${what} (${bound.length} of ${count} bound by erdma)` };
}

/** An eRDMA function by its vendor and device files' text. */
export const isErdmaFunction = (vendor: string | undefined, device: string | undefined): boolean =>
  vendor?.trim().toLowerCase() === ERDMA_VENDOR && ERDMA_DEVICES.includes(device?.trim().toLowerCase() ?? '');
