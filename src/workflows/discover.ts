/** Finds the primary NIC (default route) and the eRDMA NICs (rdma netdevs), restricted by --interface. */
import { ExitError } from '../exit-codes.js';
import { bootReadiness } from '../core/boot-wait.js';
import type { Deadline } from '../core/deadline.js';
import { erdmaNetdevs } from '../core/rdma-links.js';
import { findPrimary, linkByName, type Primary } from '../core/topology.js';
import type { LinkInfo } from '../core/iproute-json.js';
import { invalidIfNameReason } from '../core/ifname.js';
import type { Host, Observation } from '../host/host.js';
import { rdmaError, RdmaUnavailable } from '../host/host-errors.js';
import type { Logger } from '../ui/logger.js';

/** An eRDMA NIC as discovery hands it on: its name is one the kernel allows, and it has a MAC. */
export type Nic = LinkInfo & { mac: string };

export interface Discovery {
  observation: Observation;
  primary: Primary;
  nics: Nic[];
}

export interface DiscoverOptions {
  interfaces: string[];
  /** Boot mode: the erdma driver may not have registered yet; poll until the deadline. */
  waitForDevices: boolean;
  /**
   * Boot mode without --interface, on top of the PCI-exact wait: the set of devices must stay unchanged this
   * long before we go on (--settle; 0 by default).
   */
  settleMs?: number;
  deadline: Deadline;
}

/** Sysfs and `rdma link show` are cheap: a short poll keeps the boot wait close to the moment devices are ready. */
const POLL_MS = 100;
/** Operators may ask for a settle time (--settle); the PCI tree makes one unnecessary at boot. */
export const DEFAULT_SETTLE_MS = 0;
/** Settling never eats the time metadata and ip need: it stops this close to the deadline. */
const RESERVE_MAX_MS = 5000;

const listNames = (names: string[]): string => (names.length > 0 ? names.join(', ') : 'none');

interface Current {
  names: string[];
  /** RDMA devices listed with a netdev. */
  withNetdev: Set<string>;
  unavailable?: RdmaUnavailable;
}

async function current(host: Host): Promise<Current> {
  try {
    const ports = await host.rdmaPorts();
    return { names: erdmaNetdevs(ports), withNetdev: new Set(ports.filter((p) => p.netdev).map((p) => p.device)) };
  } catch (e) {
    if (!(e instanceof RdmaUnavailable)) throw e;
    return { names: [], withNetdev: new Set(), unavailable: e };
  }
}

/**
 * Boot wait, polling by the Host's clock and bounded by the deadline. With --interface: until every named NIC
 * has an eRDMA device. Without: until every eRDMA PCI function the driver bound has its RDMA device and netdev
 * (core/boot-wait.ts; the first device when the PCI tree lists none), then, if the operator asked for one, until
 * the set has not changed for the settle period.
 */
async function waitForNames(host: Host, options: DiscoverOptions, log: Logger): Promise<string[]> {
  const { deadline, interfaces } = options;
  const { clock } = host;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const reserveMs = Math.min(RESERVE_MAX_MS, deadline.totalMs / 4);
  let told = '';
  const tell = (line: string): void => {
    if (line !== told) log.info(line);
    told = line;
  };
  let settled = { key: '', since: 0 };
  for (;;) {
    const { names, withNetdev, unavailable } = await current(host);
    const now = clock.now();
    let pollMs = POLL_MS;
    if (interfaces.length > 0) {
      const missing = interfaces.filter((i) => !names.includes(i));
      if (missing.length === 0) return names;
      if (deadline.expired()) {
        if (unavailable && names.length === 0) throw rdmaError(unavailable);
        throw new ExitError(
          'noDevice',
          `--interface ${missing.join(', ')}: no eRDMA device appeared for it within the ` +
            `${deadline.totalMs / 1000} s deadline (eRDMA NICs here: ${listNames(names)})`,
          'check that the ENI is attached and eRDMA-enabled, or raise --timeout',
        );
      }
      tell(`waiting for the eRDMA device of ${missing.join(', ')} (seen so far: ${listNames(names)})…`);
    } else {
      const readiness = bootReadiness(host.erdmaPci(), withNetdev);
      if (!readiness.ready) {
        if (names.length > 0 && deadline.remaining() <= reserveMs) {
          log.warn(
            `the deadline is near: going on with ${names.join(', ')} (still waiting for ${readiness.waitingFor})`,
          );
          return names;
        }
        if (deadline.expired()) {
          if (unavailable) throw rdmaError(unavailable);
          return [];
        }
        tell(`waiting for ${readiness.waitingFor}…`);
      } else {
        if (settleMs <= 0) return names;
        const key = [...names].sort().join(' ');
        if (key !== settled.key) {
          settled = { key, since: now };
          log.info(`eRDMA NIC(s) so far: ${names.join(', ')}; going on when none is added for ${settleMs / 1000} s…`);
        }
        const settleLeft = settled.since + settleMs - now;
        if (settleLeft <= 0) return names;
        if (deadline.remaining() <= reserveMs) {
          log.info(`the deadline is near: going on with ${names.join(', ')}`);
          return names;
        }
        pollMs = Math.min(POLL_MS, settleLeft, deadline.remaining() - reserveMs);
      }
    }
    await clock.sleep(Math.max(1, Math.min(pollMs, deadline.remaining())));
  }
}

async function erdmaNames(host: Host, options: DiscoverOptions, log: Logger): Promise<string[]> {
  if (options.waitForDevices) return waitForNames(host, options, log);
  const { names, unavailable } = await current(host);
  if (unavailable) throw rdmaError(unavailable);
  return names;
}

function refusePrimary(primary: Primary | undefined, interfaces: string[]): void {
  if (primary && interfaces.includes(primary.name)) {
    const role = 'the primary NIC (it holds the default route)';
    const what = `--interface ${primary.name} is ${role}; asm-erdma never changes it`;
    const hint = `leave ${primary.name} out: without -i every eRDMA NIC is configured; asm-erdma status lists them`;
    throw new ExitError('usage', what, hint);
  }
}

export async function discover(host: Host, options: DiscoverOptions, log: Logger): Promise<Discovery> {
  // Boot wait for named NICs: naming the primary is refused now, not after waiting the whole deadline for it.
  if (options.waitForDevices && options.interfaces.length > 0) {
    refusePrimary(findPrimary((await host.observe()).routes), options.interfaces);
  }
  // Without waiting, rdma and ip are asked at once; a boot-time wait must see the links after the devices.
  const [names, early] = await Promise.all([
    erdmaNames(host, options, log),
    options.waitForDevices ? undefined : host.observe(),
  ]);
  const observation = early ?? (await host.observe());
  const primary = findPrimary(observation.routes);
  if (!primary) {
    throw new ExitError(
      'noDevice',
      'no default route in the main table, so the primary NIC is unknown',
      'check `ip route show default`',
    );
  }
  refusePrimary(primary, options.interfaces);
  if (names.includes(primary.name)) log.verbose(`${primary.name} has an RDMA port but is the primary NIC: left alone`);
  const erdma = names.filter((n) => n !== primary.name);
  if (erdma.length === 0) {
    throw new ExitError(
      'noDevice',
      'no eRDMA NIC found (rdma link show lists no netdev besides the primary)',
      'attach an eRDMA-enabled ENI and load the erdma driver',
    );
  }
  const unknown = options.interfaces.filter((i) => !erdma.includes(i));
  if (unknown.length > 0) {
    // A long list (a sysconfig file with thousands of names) is cut: the error stays one readable line.
    const shown =
      unknown.length > 8 ? `${unknown.slice(0, 8).join(', ')} and ${unknown.length - 8} more` : unknown.join(', ');
    const what = `--interface ${shown}: not an eRDMA NIC`;
    throw new ExitError('noDevice', what, `eRDMA NICs here: ${erdma.join(', ')}`);
  }
  const chosen = options.interfaces.length > 0 ? erdma.filter((n) => options.interfaces.includes(n)) : erdma;
  const nics = chosen.map((name): Nic => {
    const link = linkByName(observation.links, name);
    if (!link)
      throw new ExitError(
        'noDevice',
        `rdma names netdev ${name} but ip does not know it`,
        'is the eRDMA NIC in another network namespace?',
      );
    const { mac } = link;
    if (!mac) throw new ExitError('noDevice', `${name} has no MAC address in ip -j addr output`);
    checkNicName(name);
    return { ...link, mac };
  });
  return { observation, primary, nics };
}

/** Names come from rdma and ip; one the kernel could not have means a broken tool, and is never planned with. */
function checkNicName(name: string): void {
  const reason = invalidIfNameReason(name);
  if (reason) {
    const what = `rdma/ip name a NIC ${JSON.stringify(name)}, which is not a valid interface name: ${reason}`;
    throw new ExitError('missingTool', `${what}; nothing was changed`, 'check the rdma and ip tools on this node');
  }
}
