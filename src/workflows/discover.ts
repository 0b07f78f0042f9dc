/** Finds the primary NIC (default route) and the eRDMA NICs (rdma netdevs), restricted by --interface. */
import { ExitError } from '../exit-codes.js';
import { sleep, type Deadline } from '../core/deadline.js';
import { erdmaNetdevs } from '../core/rdma-links.js';
import { findPrimary, linkByName, type Primary } from '../core/topology.js';
import type { LinkInfo } from '../core/iproute-json.js';
import { observe, type Observation } from '../host/iproute.js';
import { listRdmaPorts, rdmaError, RdmaUnavailable } from '../host/rdma.js';
import type { Runner } from '../host/runner.js';
import type { Logger } from '../ui/logger.js';

export interface Discovery {
  observation: Observation;
  primary: Primary;
  nics: LinkInfo[];
}

export interface DiscoverOptions {
  interfaces: string[];
  /** Boot mode: the erdma driver may not have registered yet; poll until the deadline. */
  waitForDevices: boolean;
  deadline: Deadline;
}

const POLL_MS = 500;

async function erdmaNames(runner: Runner, options: DiscoverOptions, log: Logger): Promise<string[]> {
  let told = false;
  for (;;) {
    try {
      const names = erdmaNetdevs(await listRdmaPorts(runner));
      if (names.length > 0 || !options.waitForDevices) return names;
    } catch (e) {
      if (!(e instanceof RdmaUnavailable)) throw e;
      if (!options.waitForDevices || options.deadline.expired()) throw rdmaError(e);
    }
    if (options.deadline.expired()) return [];
    if (!told) log.info('waiting for eRDMA devices to appear…');
    told = true;
    await sleep(Math.min(POLL_MS, options.deadline.remaining()));
  }
}

export async function discover(runner: Runner, options: DiscoverOptions, log: Logger): Promise<Discovery> {
  // Without waiting, rdma and ip are asked at once; a boot-time wait must see the links after the devices.
  const [names, early] = await Promise.all([erdmaNames(runner, options, log), options.waitForDevices ? undefined : observe(runner)]);
  const observation = early ?? (await observe(runner));
  const primary = findPrimary(observation.routes);
  if (!primary) {
    throw new ExitError('noDevice', 'no default route in the main table, so the primary NIC is unknown', 'check `ip route show default`');
  }
  if (options.interfaces.includes(primary.name)) {
    throw new ExitError(
      'usage',
      `--interface ${primary.name} is the primary NIC (it holds the default route); asm-erdma never changes it`,
      `leave ${primary.name} out: without -i every eRDMA NIC is configured; asm-erdma status lists them`,
    );
  }
  if (names.includes(primary.name)) log.verbose(`${primary.name} has an RDMA port but is the primary NIC: left alone`);
  const erdma = names.filter((n) => n !== primary.name);
  if (erdma.length === 0) {
    throw new ExitError('noDevice', 'no eRDMA NIC found (rdma link show lists no netdev besides the primary)', 'attach an eRDMA-enabled ENI and load the erdma driver');
  }
  const unknown = options.interfaces.filter((i) => !erdma.includes(i));
  if (unknown.length > 0) {
    const what = `--interface ${unknown.join(', ')}: not an eRDMA NIC`;
    throw new ExitError('noDevice', what, `eRDMA NICs here: ${erdma.join(', ')}`);
  }
  const chosen = options.interfaces.length > 0 ? erdma.filter((n) => options.interfaces.includes(n)) : erdma;
  const nics = chosen.map((name) => {
    const link = linkByName(observation.links, name);
    if (!link) throw new ExitError('noDevice', `rdma names netdev ${name} but ip does not know it`, 'is the eRDMA NIC in another network namespace?');
    if (!link.mac) throw new ExitError('noDevice', `${name} has no MAC address in ip -j addr output`);
    return link;
  });
  return { observation, primary, nics };
}
