/**
 * Defensive readers for `ip -j addr show` and `ip -j route show`. iproute2 omits fields freely (metric 0,
 * table main, protocol boot, scope global), so every field is optional and malformed entries are skipped.
 */

export interface Ipv4Address {
  local: string;
  prefixlen: number;
  scope: string;
  /** The metric given with `ip addr add … metric M` (absent in JSON when 0); its prefix route carries it. */
  metric: number;
  /** A secondary address of its subnet: the kernel removes it with the primary unless promote_secondaries. */
  secondary: boolean;
}

export interface LinkInfo {
  name: string;
  mac: string | undefined;
  /** Administratively up (the UP flag), which is what `ip link set up` changes. */
  adminUp: boolean;
  operstate: string;
  /** Carrier (the LOWER_UP flag; NO-CARRIER when absent on an up link). */
  lowerUp?: boolean;
  mtu?: number;
  ipv4: Ipv4Address[];
}

export interface Nexthop {
  dev: string | undefined;
  gateway: string | undefined;
}

export interface RouteInfo {
  dst: string;
  /** Absent on a multipath route: its devices and gateways are in `nexthops`. */
  dev: string | undefined;
  gateway: string | undefined;
  /** A multipath route's paths (`ip route add … nexthop via A dev D nexthop …`); empty otherwise. */
  nexthops: Nexthop[];
  protocol: string;
  scope: string;
  metric: number;
  table: string;
}

export class ToolOutputError extends Error {}

/** The whole of stdout as one JSON array (empty output = no entries); anything else is a tool error. */
export function parseJsonArray(text: string, what: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch {
    throw new ToolOutputError(`${what} did not print JSON (got: ${text.trim().slice(0, 60)})`);
  }
  if (!Array.isArray(doc)) throw new ToolOutputError(`${what} printed JSON that is not an array`);
  return doc;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function parseAddrJson(text: string): LinkInfo[] {
  const links: LinkInfo[] = [];
  for (const entry of parseJsonArray(text, 'ip -j addr show')) {
    if (!isObject(entry)) continue;
    const name = str(entry.ifname);
    if (!name) continue;
    const flags = Array.isArray(entry.flags) ? entry.flags.filter((f): f is string => typeof f === 'string') : [];
    const ipv4: Ipv4Address[] = [];
    for (const a of Array.isArray(entry.addr_info) ? entry.addr_info : []) {
      if (!isObject(a) || a.family !== 'inet') continue;
      const local = str(a.local);
      if (!local || typeof a.prefixlen !== 'number') continue;
      ipv4.push({
        local,
        prefixlen: a.prefixlen,
        scope: str(a.scope) ?? 'global',
        metric: typeof a.metric === 'number' ? a.metric : 0,
        secondary: a.secondary === true,
      });
    }
    links.push({
      name,
      mac: str(entry.address)?.toLowerCase(),
      adminUp: flags.includes('UP'),
      operstate: str(entry.operstate) ?? 'UNKNOWN',
      lowerUp: flags.includes('LOWER_UP'),
      ...(typeof entry.mtu === 'number' ? { mtu: entry.mtu } : {}),
      ipv4,
    });
  }
  return links;
}

export function parseRouteJson(text: string): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const r of parseJsonArray(text, 'ip -j route show')) {
    if (!isObject(r)) continue;
    const dst = str(r.dst);
    if (!dst) continue;
    routes.push({
      dst,
      dev: str(r.dev),
      gateway: str(r.gateway),
      nexthops: (Array.isArray(r.nexthops) ? r.nexthops : [])
        .filter(isObject)
        .map((h) => ({ dev: str(h.dev), gateway: str(h.gateway) })),
      protocol: str(r.protocol) ?? 'boot',
      scope: str(r.scope) ?? 'global',
      metric: typeof r.metric === 'number' ? r.metric : 0,
      table: str(r.table) ?? 'main',
    });
  }
  return routes;
}
