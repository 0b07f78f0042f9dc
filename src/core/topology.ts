/** Pure decisions about the node's links and routes: which NIC is primary, which metric an eRDMA NIC gets. */
import type { LinkInfo, RouteInfo } from './iproute-json.js';
import { formatIPv4, parseIPv4, prefixToMask } from './ipv4.js';
import type { NicConfig } from './nic-config.js';

export interface Primary {
  name: string;
  defaultRoute: RouteInfo;
}

/** The device of a route: its own, or for a multipath route its first nexthop's (the path listed first). */
function routeDev(r: RouteInfo): string | undefined {
  return r.dev ?? r.nexthops.find((h) => h.dev)?.dev;
}

/** Every gateway of a route: its own, or each of a multipath route's nexthops. */
export function routeGateways(r: RouteInfo): string[] {
  const all = [r.gateway, ...r.nexthops.map((h) => h.gateway)];
  return all.filter((g): g is string => g !== undefined);
}

/**
 * The primary NIC holds the main table's default route (lowest metric wins) — never assumed to be eth0. A
 * multipath default route (`nexthop via A dev eth0 nexthop via B dev eth0`) names its devices per nexthop.
 */
export function findPrimary(routes: RouteInfo[]): Primary | undefined {
  const defaults = routes
    .filter((r) => r.dst === 'default' && r.table === 'main' && routeDev(r))
    .sort((a, b) => a.metric - b.metric);
  const best = defaults[0];
  const name = best && routeDev(best);
  if (!best || !name) return undefined;
  // Readers of defaultRoute (status) see the path that chose the primary.
  const gateway = best.gateway ?? best.nexthops.find((h) => h.dev === name)?.gateway;
  return { name, defaultRoute: { ...best, dev: name, gateway } };
}

function cidrContains(cidr: string, ip: string): boolean {
  const [net = '', lenText] = cidr.split('/');
  const len = Number(lenText ?? 32);
  const a = parseIPv4(net);
  const b = parseIPv4(ip);
  if (a === undefined || b === undefined || !Number.isInteger(len)) return false;
  const mask = prefixToMask(len);
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/**
 * The metric for an eRDMA NIC's subnet route: the primary's `proto kernel scope link` route metric + 1, so the
 * primary keeps winning for the shared subnet. Prefer the primary route covering the NIC's address; without
 * any kernel subnet route on the primary, fall back to its default route's metric.
 */
export function erdmaMetric(routes: RouteInfo[], primary: Primary, nicAddress: string): number {
  const kernelRoutes = routes.filter(
    (r) => r.dev === primary.name && r.protocol === 'kernel' && r.scope === 'link' && r.table === 'main',
  );
  const covering = kernelRoutes.find((r) => cidrContains(r.dst, nicAddress));
  const base = covering ?? kernelRoutes[0] ?? primary.defaultRoute;
  return base.metric + 1;
}

export function linkByName(links: LinkInfo[], name: string): LinkInfo | undefined {
  return links.find((l) => l.name === name);
}

/** `10.0.5.20`, 24 → `10.0.5.0/24`. */
export function subnetOf(address: string, prefix: number): string {
  return `${formatIPv4(((parseIPv4(address) ?? 0) & prefixToMask(prefix)) >>> 0)}/${prefix}`;
}

export interface SubnetMismatch {
  nic: string;
  nicSubnet: string;
  primary: string;
  primarySubnets: string[];
}

/**
 * ASM's procedure puts the eRDMA ENI on the primary ENI's vSwitch, so its subnet is one the primary NIC has:
 * SMC-R looks for an RDMA device on the subnet the TCP connection uses and silently falls back to TCP otherwise.
 * Undefined when the NIC is in one of the primary's subnets, or the primary has no IPv4 subnet to compare with.
 */
export function subnetMismatch(
  links: LinkInfo[],
  primary: string,
  nic: string,
  config: Pick<NicConfig, 'address' | 'prefix'>,
): SubnetMismatch | undefined {
  const primarySubnets = (linkByName(links, primary)?.ipv4 ?? [])
    .filter((a) => a.scope === 'global')
    .map((a) => subnetOf(a.local, a.prefixlen));
  const nicSubnet = subnetOf(config.address, config.prefix);
  if (primarySubnets.length === 0 || primarySubnets.includes(nicSubnet)) return undefined;
  return { nic, nicSubnet, primary, primarySubnets: [...new Set(primarySubnets)] };
}

export function describeSubnetMismatch(m: SubnetMismatch): string {
  return (
    `${m.nic} is in ${m.nicSubnet}, not in the primary NIC ${m.primary}'s subnet ${m.primarySubnets.join(', ')}: ` +
    "SMC-R over eRDMA needs the eRDMA NIC in the primary NIC's subnet and falls back to TCP otherwise"
  );
}

export function subnetMismatchFix(m: SubnetMismatch): string {
  return (
    `attach an eRDMA ENI from ${m.primary}'s vSwitch (${m.primarySubnets.join(', ')}) instead of ${m.nic}'s ` +
    "(ECS console: the eRDMA ENI's vSwitch must be the primary ENI's), then asm-erdma setup"
  );
}
