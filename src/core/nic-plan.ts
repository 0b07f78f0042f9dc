/**
 * Plan = diff(observed, desired) → actions. Pure: setup and reset compute these lists, dry-run prints them,
 * apply runs them, and a half-applied NIC is put back by running the inverses in reverse.
 */
import type { Ipv4Address, LinkInfo } from './iproute-json.js';
import type { NicConfig } from './nic-config.js';
import { parseIPv4, sameSubnet } from './ipv4.js';
import { shellWord } from './ifname.js';

export type Action =
  | { kind: 'link-up'; dev: string }
  | { kind: 'link-down'; dev: string }
  | { kind: 'addr-add'; dev: string; address: string; prefix: number; metric: number }
  | { kind: 'addr-replace'; dev: string; address: string; prefix: number; metric: number; previousMetric: number }
  | { kind: 'addr-del'; dev: string; address: string; prefix: number; metric: number };

/** The exact `ip` argv for an action: what dry-run prints and what apply runs. */
export function actionArgv(a: Action): string[] {
  switch (a.kind) {
    case 'link-up':
      return ['link', 'set', 'dev', a.dev, 'up'];
    case 'link-down':
      return ['link', 'set', 'dev', a.dev, 'down'];
    case 'addr-add':
      return ['addr', 'add', `${a.address}/${a.prefix}`, 'dev', a.dev, 'metric', String(a.metric)];
    case 'addr-replace':
      return ['addr', 'replace', `${a.address}/${a.prefix}`, 'dev', a.dev, 'metric', String(a.metric)];
    case 'addr-del':
      return ['addr', 'del', `${a.address}/${a.prefix}`, 'dev', a.dev];
  }
}

/** The command as a shell would read it (an odd interface name is quoted), for dry-run and reports. */
export function describeAction(a: Action): string {
  return `ip ${actionArgv(a).map(shellWord).join(' ')}`;
}

/** What undoes an action, so a NIC that fails half-way can be put back as it was. */
export function inverseOf(a: Action): Action {
  switch (a.kind) {
    case 'link-up':
      return { kind: 'link-down', dev: a.dev };
    case 'link-down':
      return { kind: 'link-up', dev: a.dev };
    case 'addr-add':
      return { kind: 'addr-del', dev: a.dev, address: a.address, prefix: a.prefix, metric: a.metric };
    case 'addr-replace':
      return { ...a, metric: a.previousMetric, previousMetric: a.metric };
    case 'addr-del':
      return { kind: 'addr-add', dev: a.dev, address: a.address, prefix: a.prefix, metric: a.metric };
  }
}

/** Whether an action's effect is visible on the links (plans only hold actions whose effect was absent). */
export function tookEffect(a: Action, links: LinkInfo[]): boolean {
  const link = links.find((l) => l.name === a.dev);
  if (!link) return false;
  const isLink = a.kind === 'link-up' || a.kind === 'link-down';
  const addr = isLink ? undefined : link.ipv4.find((x) => x.local === a.address && x.prefixlen === a.prefix);
  switch (a.kind) {
    case 'link-up':
      return link.adminUp;
    case 'link-down':
      return !link.adminUp;
    case 'addr-add':
      return addr !== undefined;
    case 'addr-del':
      return addr === undefined;
    case 'addr-replace':
      return addr?.metric === a.metric;
  }
}

export interface OwnedAddress {
  address: string;
  prefix: number;
}

export interface SetupPlan {
  actions: Action[];
  /** Global IPv4 addresses on the NIC that the metadata server did not give: someone else put them there. */
  foreign: Ipv4Address[];
  /** Addresses setup's own record gave this NIC that the metadata server no longer gives: removed by the plan. */
  stale: Ipv4Address[];
}

const addrOf = (dev: string, a: Ipv4Address) => ({ dev, address: a.local, prefix: a.prefixlen, metric: a.metric });
const addrDel = (dev: string, a: Ipv4Address): Action => ({ kind: 'addr-del', ...addrOf(dev, a) });
const addrAdd = (dev: string, a: Ipv4Address): Action => ({ kind: 'addr-add', ...addrOf(dev, a) });

/**
 * Without promote_secondaries the kernel deletes a primary address's secondaries (same subnet) along with it:
 * the kept addresses that go when one of `doomed` goes.
 */
function lostWith(doomed: Ipv4Address[], kept: Ipv4Address[]): Ipv4Address[] {
  const inSubnetOf = (p: Ipv4Address, a: Ipv4Address): boolean =>
    a.prefixlen === p.prefixlen && sameSubnet(parseIPv4(a.local) ?? 0, parseIPv4(p.local) ?? 0, p.prefixlen);
  return kept.filter((a) => a.secondary && doomed.some((p) => !p.secondary && inSubnetOf(p, a)));
}

/**
 * Setup's plan for one NIC: up, then its address with `metric`. An address the record says setup gave this NIC
 * (`owned`) that metadata no longer gives is stale: deleted before the new one is added, in the same batch.
 * Addresses nobody recorded stay (foreign). Deleting a stale primary may take kept secondaries with it (no
 * promote_secondaries): those are added back.
 */
export function planSetup(
  link: LinkInfo,
  desired: NicConfig,
  metric: number,
  owned: OwnedAddress[] = [],
  promoteSecondaries = true,
): SetupPlan {
  const dev = link.name;
  const actions: Action[] = [];
  if (!link.adminUp) actions.push({ kind: 'link-up', dev });
  const global = link.ipv4.filter((a) => a.scope === 'global');
  const isOwned = (a: Ipv4Address): boolean => owned.some((o) => o.address === a.local && o.prefix === a.prefixlen);
  const stale = global.filter((a) => a.local !== desired.address && isOwned(a));
  // Secondaries before primaries, as reset does, so no `del` finds its address already gone.
  for (const a of [...stale].reverse()) actions.push(addrDel(dev, a));
  const kept = link.ipv4.filter((a) => !stale.includes(a));
  const lost = promoteSecondaries ? [] : lostWith(stale, kept);
  const same = kept.find((a) => a.local === desired.address && !lost.includes(a));
  if (!same) {
    actions.push({ kind: 'addr-add', dev, address: desired.address, prefix: desired.prefix, metric });
  } else if (same.prefixlen !== desired.prefix) {
    actions.push(addrDel(dev, same));
    actions.push({ kind: 'addr-add', dev, address: desired.address, prefix: desired.prefix, metric });
  } else if (same.metric !== metric) {
    // Our address with another metric (e.g. added by hand without one) would steal the primary's subnet route.
    actions.push({
      kind: 'addr-replace',
      dev,
      address: same.local,
      prefix: same.prefixlen,
      metric,
      previousMetric: same.metric,
    });
  }
  for (const a of lost) if (a.local !== desired.address) actions.push(addrAdd(dev, a));
  const foreign = global.filter((a) => a.local !== desired.address && !isOwned(a));
  return { actions, foreign, stale };
}

export interface ResetPlan {
  actions: Action[];
  /** Global IPv4 addresses left in place because they are not ours; the link then stays up for them. */
  kept: Ipv4Address[];
}

/**
 * Reset removes what setup gives: the owned address(es), then the link goes down. `all` removes every global
 * IPv4 address, the old script's flush. Secondaries are deleted before primaries so the kernel does not
 * drop them along with their primary first and make the later `del` fail. A link still carrying someone
 * else's address stays up: taking it down would cut them off.
 */
export function planReset(link: LinkInfo, owned: OwnedAddress[] | 'all', promoteSecondaries = true): ResetPlan {
  const dev = link.name;
  const isDoomed = (a: Ipv4Address): boolean =>
    owned === 'all' ? a.scope === 'global' : owned.some((o) => o.address === a.local && o.prefix === a.prefixlen);
  const doomed = link.ipv4.filter(isDoomed);
  const actions: Action[] = [...doomed].reverse().map((a) => addrDel(dev, a));
  const kept = link.ipv4.filter((a) => a.scope === 'global' && !isDoomed(a));
  // Without promote_secondaries the kernel drops a primary's secondaries with it: put those back.
  if (!promoteSecondaries) for (const a of lostWith(doomed, kept)) actions.push(addrAdd(dev, a));
  if (link.adminUp && kept.length === 0) actions.push({ kind: 'link-down', dev });
  return { actions, kept };
}
