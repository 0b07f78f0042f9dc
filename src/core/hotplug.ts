/**
 * Hot-plug: an eRDMA ENI attached to a running instance must get configured without a reboot. The kernel
 * registers an RDMA device (erdma_N, subsystem "infiniband") once the erdma driver binds to the new NIC; a
 * udev rule tags that device for systemd and wants one instance of a template unit per device, which runs
 * the same idempotent `setup --wait` as the boot unit. Per-device instances (as amazon-ec2-net-utils does per
 * interface) mean a second device arriving while the first one's run is still going is never merged away.
 */
import {
  execWord,
  setupArgs,
  setupSandbox,
  startTimeoutSeconds,
  SYSCONFIG_FILE,
  UNIT_NAME,
  type UnitOptions,
} from './unit.js';

export const HOTPLUG_TEMPLATE_NAME = 'asm-erdma-hotplug@.service';
export const UDEV_RULE_NAME = '90-asm-erdma.rules';

const hotplugInstance = (rdmaDevice: string): string => `asm-erdma-hotplug@${rdmaDevice}.service`;

export function renderHotplugUnit(o: UnitOptions): string {
  const exec = [...o.exec, ...setupArgs(o)].map(execWord).join(' ');
  return `# Written by asm-erdma install-service; re-run it rather than editing this file.
# Started by udev (${UDEV_RULE_NAME}) for each eRDMA device the kernel registers, e.g. an ENI attached to the
# running instance: %i is the RDMA device (erdma_0). setup is idempotent: at boot, after ${UNIT_NAME}, it
# finds nothing to do.
[Unit]
Description=asm-erdma: configure eRDMA NICs after RDMA device %i appeared
Wants=network-online.target
After=network-online.target ${UNIT_NAME}

[Service]
Type=oneshot
EnvironmentFile=-${SYSCONFIG_FILE}
UnsetEnvironment=NODE_OPTIONS
ExecStart=${exec}
TimeoutStartSec=${startTimeoutSeconds(o)}
${setupSandbox()}
`;
}

/** The RDMA device add event, not the netdev's: only then does rdma link show list the NIC as eRDMA. */
export function renderUdevRule(): string {
  const match = 'ACTION=="add", SUBSYSTEM=="infiniband", KERNEL=="erdma_*"';
  return `# Written by asm-erdma install-service; re-run it rather than editing this file.
# An eRDMA device registered (boot or hot-plug): configure its NIC through ${HOTPLUG_TEMPLATE_NAME}.
${match}, TAG+="systemd", ENV{SYSTEMD_WANTS}+="${hotplugInstance('%k')}"
`;
}
