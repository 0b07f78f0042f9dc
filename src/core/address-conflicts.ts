/**
 * Addresses the metadata server gives that must never be configured: the primary NIC's own address, a gateway,
 * another NIC's address, or a subnet's network/broadcast address. Pure, so setup refuses before any change and
 * status can report the same conflicts.
 */
import type { LinkInfo, RouteInfo } from './iproute-json.js';
import { formatIPv4, parseIPv4, prefixToMask } from './ipv4.js';
import { routeGateways } from './topology.js';

export interface WantedAddress {
  nic: string;
  address: string;
  prefix: number;
  gateway: string;
}

export interface AddressConflict {
  nic: string;
  address: string;
  /** The other side of the conflict, in words: "eth0's address (the primary NIC)", "the gateway"… */
  with: string;
}

export const describeConflict = (c: AddressConflict): string => `${c.nic} would get ${c.address}, which is ${c.with}`;

interface Subnet {
  network: number;
  prefix: number;
  owner: string;
}

function edgeOf(address: number, s: Subnet): 'network' | 'broadcast' | undefined {
  const mask = prefixToMask(s.prefix);
  if (s.prefix >= 31 || (address & mask) >>> 0 !== s.network) return undefined;
  if (address === s.network) return 'network';
  return address === (s.network | ~mask) >>> 0 ? 'broadcast' : undefined;
}

function cidr(dst: string): { network: number; prefix: number } | undefined {
  const [net = '', len = '32'] = dst.split('/');
  const n = parseIPv4(net);
  const prefix = Number(len);
  return n === undefined || !Number.isInteger(prefix) ? undefined : { network: n, prefix };
}

/**
 * Every conflict of the wanted addresses with the node and with each other. `links` and `routes` are what the
 * node has now; links named in `wanted` are judged by what they will have, not what they have.
 */
export function findConflicts(
  wanted: WantedAddress[],
  links: LinkInfo[],
  routes: RouteInfo[],
  primary: string,
): AddressConflict[] {
  const conflicts: AddressConflict[] = [];
  const planned = new Set(wanted.map((w) => w.nic));
  const defaultGateways = routes.filter((r) => r.dst === 'default' && r.table === 'main').flatMap(routeGateways);
  const subnets: Subnet[] = routes.flatMap((r) => {
    const c = r.dev === primary && r.protocol === 'kernel' && r.scope === 'link' ? cidr(r.dst) : undefined;
    return c ? [{ ...c, owner: `${primary}'s subnet ${r.dst}` }] : [];
  });
  for (const [i, w] of wanted.entries()) {
    const value = parseIPv4(w.address);
    if (value === undefined) continue;
    const own = (value & prefixToMask(w.prefix)) >>> 0;
    const mine: Subnet = { network: own, prefix: w.prefix, owner: `its subnet ${formatIPv4(own)}/${w.prefix}` };
    const found = (other: string): void => {
      conflicts.push({ nic: w.nic, address: w.address, with: other });
    };
    for (const link of links) {
      if (link.name === w.nic || planned.has(link.name)) continue;
      if (link.ipv4.some((a) => a.local === w.address)) {
        found(
          link.name === primary ? `the address of ${primary} (the primary NIC)` : `already the address of ${link.name}`,
        );
      }
    }
    const twin = wanted.slice(0, i).find((o) => o.address === w.address);
    if (twin) found(`also given to ${twin.nic} by the metadata server`);
    if (w.address === w.gateway) found('its own gateway');
    else if (defaultGateways.includes(w.address)) found(`the gateway of the default route (via ${primary})`);
    for (const s of [mine, ...subnets]) {
      const edge = edgeOf(value, s);
      if (edge) {
        found(`the ${edge} address of ${s.owner}`);
        break;
      }
    }
  }
  return conflicts;
}
