/** Finds the primary NIC (default route) and the eRDMA NICs (rdma netdevs), restricted by --interface. */
import { ExitError } from '../exit-codes.js';
import { sleep, type Deadline } from '../core/deadline.js';
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
   * Boot mode without --interface: devices register one by one, so the set must stay unchanged this long
   * before we go on (otherwise the first device is configured and the second left down).
   */
  settleMs?: number;
  deadline: Deadline;
}

const POLL_MS = 500;
export const DEFAULT_SETTLE_MS = 3000;
/** Settling never eats the time metadata and ip need: it stops this close to the deadline. */
const RESERVE_MAX_MS = 5000;

const listNames = (names: string[]): string => (names.length > 0 ? names.join(', ') : 'none');

async function currentNames(host: Host): Promise<{ names: string[]; unavailable?: RdmaUnavailable }> {
  try {
    return { names: erdmaNetdevs(await host.rdmaPorts()) };
  } catch (e) {
    if (!(e instanceof RdmaUnavailable)) throw e;
    return { names: [], unavailable: e };
  }
}

/**
 * Boot wait. With --interface: until every named NIC has an eRDMA device. Without: until at least one
 * device is there and the set has not changed for the settle period. Polls, bounded by the deadline.
 */
async function waitForNames(host: Host, options: DiscoverOptions, log: Logger): Promise<string[]> {
  const { deadline, interfaces } = options;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const reserveMs = Math.min(RESERVE_MAX_MS, deadline.totalMs / 4);
  let told = '';
  let settled = { key: '', since: 0 };
  for (;;) {
    const { names, unavailable } = await currentNames(host);
    const now = Date.now();
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
      const line = `waiting for the eRDMA device of ${missing.join(', ')} (seen so far: ${listNames(names)})…`;
      if (line !== told) log.info(line);
      told = line;
    } else if (names.length > 0) {
      const key = [...names].sort().join(' ');
      if (key !== settled.key) {
        settled = { key, since: now };
        if (settleMs > 0) {
          log.info(`eRDMA NIC(s) so far: ${names.join(', ')}; going on when none is added for ${settleMs / 1000} s…`);
        }
      }
      const settleLeft = settled.since + settleMs - now;
      if (settleLeft <= 0) return names;
      if (deadline.remaining() <= reserveMs) {
        log.info(`the deadline is near: going on with ${names.join(', ')}`);
        return names;
      }
      pollMs = Math.min(POLL_MS, settleLeft, deadline.remaining() - reserveMs);
    } else {
      if (deadline.expired()) {
        if (unavailable) throw rdmaError(unavailable);
        return [];
      }
      if (!told) log.info('waiting for eRDMA devices to appear…');
      told = 'devices';
    }
    await sleep(Math.max(1, Math.min(pollMs, deadline.remaining())));
  }
}

async function erdmaNames(host: Host, options: DiscoverOptions, log: Logger): Promise<string[]> {
  if (options.waitForDevices) return waitForNames(host, options, log);
  const { names, unavailable } = await currentNames(host);
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
    const what = `--interface ${unknown.join(', ')}: not an eRDMA NIC`;
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
