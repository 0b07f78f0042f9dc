/** Runs a test body in a fresh simulated node; skips with a reason locally, fails under CI=true. */
import type { TestContext } from 'node:test';
import { SimNode, simUnavailableReason, type SimOptions } from '../../scripts/sim/sim-node.js';

let reason: Promise<string | undefined> | undefined;

/** Skips (locally) or fails (CI=true) a test whose prerequisite is missing; true when it may run. */
export function prerequisite(t: TestContext, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`CI must run this test: ${missing}`);
  t.skip(missing);
  return false;
}

export function requireRoot(t: TestContext): boolean {
  return prerequisite(t, process.getuid?.() === 0 ? undefined : 'needs root');
}

export async function requireSim(t: TestContext): Promise<boolean> {
  reason ??= simUnavailableReason();
  return prerequisite(t, await reason);
}

export async function withSim(
  t: TestContext,
  options: SimOptions,
  body: (node: SimNode) => Promise<void>,
): Promise<void> {
  if (!(await requireSim(t))) return;
  const node = await SimNode.create(options);
  try {
    await body(node);
  } finally {
    await node.destroy();
  }
}

interface AddrEntry {
  ifname: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number; metric?: number; scope?: string }[];
}

/** The kernel state that matters for parity: per link its UP flag and IPv4 addresses; all IPv4 routes. */
export async function kernelState(node: SimNode): Promise<{ links: Record<string, unknown>; routes: unknown[] }> {
  const links: Record<string, unknown> = {};
  for (const l of (await node.addrJson()) as AddrEntry[]) {
    links[l.ifname] = {
      up: (l.flags ?? []).includes('UP'),
      ipv4: (l.addr_info ?? [])
        .filter((a) => a.family === 'inet')
        .map((a) => `${a.local}/${a.prefixlen} metric ${a.metric ?? 0} ${a.scope ?? ''}`),
    };
  }
  return { links, routes: await node.routeJson() };
}

export function ipv4Of(state: { links: Record<string, unknown> }, name: string): string[] {
  return (state.links[name] as { ipv4: string[] }).ipv4;
}
