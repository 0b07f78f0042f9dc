/**
 * SMC seen from every network namespace of the node (smc_diag lists only the caller's namespace): the node's
 * namespaces are read from the inside with bounded parallelism, all within one deadline. A namespace that ends
 * meanwhile is skipped; one whose smcss does not answer in time is killed (its whole process group) and marked
 * timed-out while the others are reported. diag and metrics both call sampleNamespaces.
 */
import type { Deadline } from '../core/deadline.js';
import type { NetnsTarget } from '../core/netns.js';
import {
  aggregateNamespaces,
  matchesFilter,
  netnsParallelism,
  tcp2smcOn,
  type NamespaceReading,
  type NamespacesSample,
  type PodFilter,
} from '../core/smc-namespaces.js';
import type { PodTcp2smc } from '../core/smc-readiness.js';
import { ExitCode, ExitError } from '../exit-codes.js';
import type { Host } from '../host/host.js';

/**
 * Runs `work` on every item, at most `limit` at once. The first error stops new work; it is thrown once the
 * work under way has ended (each piece is bounded by the deadline), so no tool is left running behind us.
 */
export async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

const isTimeout = (e: unknown): boolean => e instanceof ExitError && e.code === ExitCode.toolTimeout;

/** Every namespace's SMC sockets and tcp2smc (only those matching `filter`), summed up per namespace and in total. */
export async function sampleNamespaces(
  host: Host,
  o: { smcss: string; deadline: Deadline; filter?: PodFilter },
): Promise<NamespacesSample> {
  const targets = host.netNamespaces().filter((t) => matchesFilter(t, o.filter ?? {}));
  const readings: NamespaceReading[] = [];
  let vanished = 0;
  await inPool(targets, netnsParallelism(host.cores()), async (target) => {
    try {
      const r = await host.inNetns(target, { smcss: o.smcss, deadline: o.deadline });
      if (r === undefined) vanished++;
      else readings.push({ target, reading: { tcp2smc: r.tcp2smc, sockets: r.sockets ?? [] } });
    } catch (e) {
      if (!isTimeout(e)) throw e;
      readings.push({ target, reading: 'timed-out' });
    }
  });
  return aggregateNamespaces(readings, vanished, new Date());
}

/** status: in how many pod namespaces net.smc.tcp2smc is on (read inside each; no smcss). */
export async function podTcp2smc(host: Host, deadline: Deadline): Promise<PodTcp2smc> {
  // Unprivileged, other users' namespaces are invisible: "needs root to check", never a count missing every pod.
  host.changes.requirePrivilege('root', 'counting the pods with tcp2smc on');
  const pods = host.netNamespaces().filter((t: NetnsTarget) => t.kind === 'pod');
  const result: PodTcp2smc = { pods: 0, on: 0, unread: 0 };
  await inPool(pods, netnsParallelism(host.cores()), async (target) => {
    try {
      const r = await host.inNetns(target, { deadline });
      if (r === undefined) return;
      result.pods++;
      if (tcp2smcOn(r.tcp2smc) === true) result.on++;
    } catch (e) {
      if (!isTimeout(e)) throw e;
      result.unread++;
    }
  });
  return result;
}
