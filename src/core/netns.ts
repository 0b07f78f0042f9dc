/**
 * Which network namespaces a node has, and whose they are, from what the node itself says (no Kubernetes API):
 * `/proc/<pid>/ns/net` links (`net:[4026532001]`) group processes by namespace; a process's `/proc/<pid>/cgroup`
 * path carries its pod's UID (kubelet's cgroupfs and systemd spellings, cgroup v1 and v2); kubelet's log
 * directories `/var/log/pods/<namespace>_<name>_<uid>` name the pod. Pure: host/netns.ts does the reading.
 */

/** `net:[4026531840]` → 4026531840; undefined for anything else. */
export function netnsInode(link: string): number | undefined {
  const m = /^net:\[(\d+)\]$/.exec(link.trim());
  return m ? Number(m[1]) : undefined;
}

/** A pod UID: a UUID (API pods), or 32 hex digits (static pods: a hash of their manifest). */
const UID = '[0-9a-f]{8}[-_]?[0-9a-f]{4}[-_]?[0-9a-f]{4}[-_]?[0-9a-f]{4}[-_]?[0-9a-f]{12}';
/** cgroupfs driver: `…/kubepods/burstable/pod<uid>/<container>` (guaranteed pods have no QoS level). */
const CGROUPFS_POD = new RegExp(`^pod(${UID})$`, 'i');
/**
 * systemd driver: `kubepods-burstable-pod<uid with _ for ->.slice` (guaranteed: `kubepods-pod<uid>.slice`; under a
 * nested kubelet such as kind's, `kubelet-kubepods-burstable-pod<uid>.slice`).
 */
const SYSTEMD_POD = new RegExp(`^(?:[a-z]+-)*kubepods(?:-[a-z]+)?-pod(${UID})\\.slice$`, 'i');

/** The UID as the API spells it (systemd's slice names have `_` for `-`). */
const normalUid = (uid: string): string => uid.replace(/_/g, '-').toLowerCase();

/**
 * The pod UID in a `/proc/<pid>/cgroup` text (`hierarchy:controllers:path` lines, v1 and v2), or undefined
 * when the process is in no pod's cgroup. A cgroupfs `pod<uid>` counts only below a `kubepods` directory.
 */
export function podUidFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const path = line.split(':').slice(2).join(':');
    const parts = path.split('/');
    let underKubepods = false;
    for (const part of parts) {
      const systemd = SYSTEMD_POD.exec(part);
      if (systemd?.[1]) return normalUid(systemd[1]);
      if (/^kubepods\b/i.test(part)) underKubepods = true;
      const cgroupfs = underKubepods ? CGROUPFS_POD.exec(part) : null;
      if (cgroupfs?.[1]) return normalUid(cgroupfs[1]);
    }
  }
  return undefined;
}

export interface PodName {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * kubelet's `/var/log/pods/<namespace>_<name>_<uid>` directory name → the pod. Namespaces and pod names are DNS
 * names (no `_`), so the underscores are unambiguous; anything else is not a pod's directory.
 */
export function podFromLogDir(dir: string): PodName | undefined {
  const parts = dir.split('_');
  if (parts.length !== 3) return undefined;
  const [namespace = '', name = '', uid = ''] = parts;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || !/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(name)) {
    return undefined;
  }
  if (!new RegExp(`^${UID}$`, 'i').test(uid)) return undefined;
  return { namespace, name, uid: normalUid(uid) };
}

/** One process as the host saw it. */
export interface ProcessNetns {
  pid: number;
  netns: number;
  /** Its pod's UID, when its cgroup says (read only until a namespace has one). */
  podUid?: string;
  /** Its command name (/proc/<pid>/comm), read for the first process of each namespace. */
  comm?: string;
}

/** A named namespace (`ip netns add`): /run/netns/<name>. */
export interface NamedNetns {
  name: string;
  netns: number;
}

export type NetnsKind = 'host' | 'pod' | 'netns';

/** A network namespace to look into, and how to name it to an operator. */
export interface NetnsTarget {
  netns: number;
  kind: NetnsKind;
  /** `default/web-1`, `pod <uid>` (no log directory), `host`, or `netns:[<inode>]`. */
  label: string;
  pod: { namespace: string | null; name: string | null; uid: string } | null;
  /** One process living in it (for a namespace no pod owns: what runs there). */
  process: { pid: number; comm: string | null } | null;
  /** `ip netns` name, when it has one. */
  netnsName: string | null;
  /** Paths to enter it by, most stable first: /run/netns/<name>, then a few of its processes' ns links. */
  paths: string[];
}

/** How many of a namespace's processes to try in turn when the first has ended meanwhile. */
const PATHS_PER_NAMESPACE = 3;

/**
 * Groups processes into namespaces, each attributed to its pod where a cgroup says so and named from kubelet's log
 * directories. The host's namespace is its own row and never a pod's (host-network pods share it).
 */
export function netnsTargets(
  processes: ProcessNetns[],
  named: NamedNetns[],
  hostNetns: number,
  pods: PodName[],
): NetnsTarget[] {
  const byUid = new Map(pods.map((p) => [p.uid, p]));
  const groups = new Map<number, ProcessNetns[]>();
  for (const p of processes) {
    const list = groups.get(p.netns);
    if (list) list.push(p);
    else groups.set(p.netns, [p]);
  }
  for (const n of named) if (!groups.has(n.netns)) groups.set(n.netns, []);
  if (!groups.has(hostNetns)) groups.set(hostNetns, []);
  const targets: NetnsTarget[] = [];
  for (const [netns, procs] of groups) {
    const netnsName = named.find((n) => n.netns === netns)?.name ?? null;
    const first = procs[0];
    const process = first ? { pid: first.pid, comm: first.comm ?? null } : null;
    const paths = [
      ...(netnsName !== null ? [`/run/netns/${netnsName}`] : []),
      ...procs.slice(0, PATHS_PER_NAMESPACE).map((p) => `/proc/${p.pid}/ns/net`),
    ];
    const base = { netns, process, netnsName, paths };
    if (netns === hostNetns) {
      targets.push({ ...base, kind: 'host', label: 'host', pod: null });
      continue;
    }
    const uid = procs.find((p) => p.podUid !== undefined)?.podUid;
    if (uid !== undefined) {
      const known = byUid.get(uid);
      const pod = { namespace: known?.namespace ?? null, name: known?.name ?? null, uid };
      targets.push({ ...base, kind: 'pod', label: known ? `${known.namespace}/${known.name}` : `pod ${uid}`, pod });
      continue;
    }
    const label = netnsName !== null ? `netns ${netnsName}` : `netns:[${netns}]`;
    targets.push({ ...base, kind: 'netns', label, pod: null });
  }
  const order: Record<NetnsKind, number> = { host: 0, pod: 1, netns: 2 };
  return targets.sort((a, b) => order[a.kind] - order[b.kind] || a.label.localeCompare(b.label) || a.netns - b.netns);
}
