/** Pure decisions about the node's links and routes: which NIC is primary, which metric an eRDMA NIC gets. */
import type { LinkInfo, RouteInfo } from './iproute-json.js';
import { parseIPv4, prefixToMask } from './ipv4.js';

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
