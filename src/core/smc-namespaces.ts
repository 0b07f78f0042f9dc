/**
 * SMC per network namespace, and in total: each namespace's sockets summed up (core/smcss) into a row named after
 * its pod, with whether net.smc.tcp2smc is on there — "never switched to SMC" is not "tried and fell back".
 * diag prints these rows; metrics labels its series with them.
 */
import type { NetnsKind, NetnsTarget } from './netns.js';
import { summarize, type DiagSample, type SmcScope, type SmcSocket } from './smcss.js';

export type NamespaceState = 'ok' | 'timed-out';

/** One network namespace's SMC connections (the counts and reasons of a DiagSample, without its time). */
export interface NamespaceRow extends Omit<DiagSample, 'at'> {
  /** `default/web-1`, `pod <uid>`, `host`, `netns <ip-netns-name>` or `netns:[<inode>]`. */
  pod: string;
  kind: NetnsKind;
  namespace: string | null;
  name: string | null;
  uid: string | null;
  netns: number;
  pid: number | null;
  process: string | null;
  /** net.smc.tcp2smc in this namespace: null when the kernel has none (or it could not be read in time). */
  tcp2smc: boolean | null;
  /** timed-out: smcss did not answer before the deadline (it was killed); its counts are zero. */
  state: NamespaceState;
}

export interface NamespacesSample extends DiagSample {
  /** Namespaces read, ended before they could be read (skipped), and not answering in time. */
  netns: { read: number; vanished: number; timedOut: number };
  /** Pod namespaces seen, and how many of them have tcp2smc on. */
  podNamespaces: number;
  tcp2smcOn: number;
  pods: NamespaceRow[];
}

export interface NamespaceReading {
  target: NetnsTarget;
  /** What was read inside; 'timed-out' when smcss was killed at the deadline. */
  reading: { tcp2smc: string | undefined; sockets: SmcSocket[] } | 'timed-out';
}

/** `1` (or any non-zero number) is on; `0` off; no sysctl is unknown. */
export function tcp2smcOn(value: string | undefined): boolean | null {
  if (value === undefined || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim()) !== 0;
}

function row(r: NamespaceReading, at: Date): NamespaceRow {
  const t = r.target;
  const read = r.reading === 'timed-out' ? undefined : r.reading;
  const { at: _, ...counts } = summarize(read?.sockets ?? [], at);
  return {
    pod: t.label,
    kind: t.kind,
    namespace: t.pod?.namespace ?? null,
    name: t.pod?.name ?? null,
    uid: t.pod?.uid ?? null,
    netns: t.netns,
    pid: t.process?.pid ?? null,
    process: t.process?.comm ?? null,
    tcp2smc: tcp2smcOn(read?.tcp2smc),
    state: read ? 'ok' : 'timed-out',
    ...counts,
  };
}

/** Most fallbacks first, then most connections, then by name: what needs attention leads. */
const byAttention = (a: NamespaceRow, b: NamespaceRow): number =>
  b.fellBack - a.fellBack || b.connections - a.connections || a.pod.localeCompare(b.pod) || a.netns - b.netns;

/** Rows per namespace and the node's total (every namespace's sockets summed up as one). */
export function aggregateNamespaces(readings: NamespaceReading[], vanished: number, at: Date): NamespacesSample {
  const all = readings.flatMap((r) => (r.reading === 'timed-out' ? [] : r.reading.sockets));
  const pods = readings.map((r) => row(r, at)).sort(byAttention);
  const podRows = pods.filter((p) => p.kind === 'pod');
  return {
    ...summarize(all, at),
    netns: {
      read: pods.filter((p) => p.state === 'ok').length,
      vanished,
      timedOut: pods.filter((p) => p.state === 'timed-out').length,
    },
    podNamespaces: podRows.length,
    tcp2smcOn: podRows.filter((p) => p.tcp2smc === true).length,
    pods,
  };
}

export interface PodFilter {
  pod?: string;
  namespace?: string;
}

/** --pod NAME / --namespace NS: only pods (never the host or an unnamed namespace) that match both. */
export function matchesFilter(t: NetnsTarget, f: PodFilter): boolean {
  if (f.pod === undefined && f.namespace === undefined) return true;
  if (t.kind !== 'pod' || !t.pod) return false;
  return (
    (f.pod === undefined || t.pod.name === f.pod) && (f.namespace === undefined || t.pod.namespace === f.namespace)
  );
}

/** nsenter + smcss mostly wait on the kernel: a few per core keep the cores busy without a fork storm. */
export const netnsParallelism = (cores: number): number => Math.min(32, Math.max(4, cores * 4));

/**
 * The rows as labelled readings (metrics' series): a pod's are `{pod_namespace, pod}` (`{pod_uid}` without a log
 * directory), the host's none, a namespace no pod owns `{netns}` — only when it has SMC sockets (a CNI helper's
 * namespace would be noise). A namespace not read in time has no reading: unknown is not zero.
 */
export function smcScopes(s: NamespacesSample): SmcScope[] {
  return s.pods.flatMap((row) => {
    if (row.state !== 'ok') return [];
    if (row.kind === 'netns' && row.connections === 0 && row.listening === 0) return [];
    const { pod, kind, namespace, name, uid, netns, pid, process, tcp2smc, state, ...counts } = row;
    const labels: Record<string, string> =
      kind === 'host'
        ? {}
        : kind === 'netns'
          ? { netns: String(netns) }
          : namespace !== null && name !== null
            ? { pod_namespace: namespace, pod: name }
            : { pod_uid: uid ?? '' };
    return [{ labels, sample: { at: s.at, ...counts } }];
  });
}
