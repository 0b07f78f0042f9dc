/**
 * The sandbox of asm-erdma's systemd units: the [Service] lines that leave a root process parsing answers from
 * the network only what `ip` and `rdma` need. Self-contained (no other module of ours), so any unit we render
 * can use it. docs/boot.md says why each line is there and what `systemd-analyze security` scores.
 *
 * Alibaba Cloud Linux 3 ships systemd 239. A directive 239 does not know is only a warning in its journal and
 * protects nothing there, so every directive our units use must be in UNIT_DIRECTIVES, which names the systemd
 * release that introduced it (test/core/unit-sandbox.test.ts holds the rendered units to that table).
 * Never MemoryDenyWriteExecute=: V8's JIT needs memory that is writable and executable.
 */

export interface SandboxOptions {
  /**
   * Directories the service may write; everything else is read-only. A directory under /run is made by
   * systemd (RuntimeDirectory=) and kept when the unit stops, so what the service wrote there outlives it
   * (reset reads setup's record later). Any other directory must already exist (ReadWritePaths=).
   */
  writablePaths: string[];
  /**
   * The service enters other network namespaces (metrics reads SMC inside every pod's): setns(CLONE_NEWNET)
   * needs CAP_SYS_ADMIN and RestrictNamespaces= must allow net; finding a pod's namespace through
   * /proc/PID/ns/net of a process with other credentials needs CAP_SYS_PTRACE (read access). Without them the
   * pods are silently missing, or every SMC reading fails, under a real systemd.
   */
  entersNetworkNamespaces?: boolean;
}

export interface UnitDirective {
  /** The systemd release that introduced it (for a value, the release that introduced that value). */
  since: number;
  /**
   * Words of that release's NEWS entry announcing it, when the release comes from NEWS (the test reads
   * /usr/share/doc/systemd/NEWS.gz to check); absent for directives older than NEWS's detail (see `source`).
   */
  news?: string;
  source?: string;
}

const FIRST = { since: 1, source: 'systemd.unit(5) / systemd.service(5) since the first releases' };

/**
 * Every directive (or directive=value) our units use, with the systemd release that brought it. A unit that
 * uses one not listed here fails test/core/unit-sandbox.test.ts: add it, with its release, first.
 */
export const UNIT_DIRECTIVES: Readonly<Record<string, UnitDirective>> = {
  Description: FIRST,
  Wants: FIRST,
  After: FIRST,
  Before: FIRST,
  WantedBy: FIRST,
  Type: FIRST,
  'Type=oneshot': FIRST,
  RemainAfterExit: FIRST,
  ExecStart: FIRST,
  EnvironmentFile: FIRST,
  UMask: { since: 1, source: 'systemd.exec(5) since the first releases' },
  TimeoutStartSec: { since: 188, news: 'TimeoutStartSec= and TimeoutStopSec=' },
  UnsetEnvironment: { since: 235, news: 'new UnsetEnvironment= setting' },
  CapabilityBoundingSet: { since: 183, source: 'systemd.exec(5); NEWS 183 adds its system.conf twin' },
  NoNewPrivileges: { since: 187, source: 'systemd.exec(5): came with SystemCallFilter= (NEWS 187)' },
  PrivateTmp: { since: 183, source: 'systemd.exec(5); NEWS 183 extends it to /var/tmp' },
  SystemCallFilter: { since: 187, news: 'new setting SystemCallFilters=' },
  PrivateDevices: { since: 209, news: 'new PrivateDevices= switch' },
  SystemCallErrorNumber: { since: 209, news: 'SystemCallErrorNumber= setting has been introduced' },
  SystemCallArchitectures: { since: 209, news: 'SystemCallArchitectures= has been added' },
  RestrictAddressFamilies: { since: 211, news: 'new unit file setting RestrictAddressFamilies=' },
  RuntimeDirectory: { since: 211, news: 'RuntimeDirectory= and' },
  ProtectHome: { since: 214, news: 'ProtectHome= and ProtectSystem=' },
  ProtectSystem: { since: 214, news: 'ProtectHome= and ProtectSystem=' },
  RestrictRealtime: { since: 231, news: 'new RestrictRealtime= service setting' },
  ReadWritePaths: { since: 231, news: 'ReadWritePaths=' },
  'ProtectSystem=strict': { since: 232, news: 'gained a new value "strict"' },
  ProtectKernelTunables: { since: 232, news: 'new ProtectKernelTunables= option' },
  ProtectKernelModules: { since: 232, news: 'new ProtectKernelModules= option' },
  ProtectControlGroups: { since: 232, news: 'new ProtectControlGroups= option' },
  RestrictNamespaces: { since: 233, news: 'new unit file option RestrictNamespaces=' },
  RuntimeDirectoryPreserve: { since: 235, news: 'new unit setting RuntimeDirectoryPreserve=' },
  LockPersonality: { since: 235, news: 'new unit file setting LockPersonality=' },
  PrivateMounts: { since: 239, news: 'new unit file setting PrivateMounts=' },
  // The metrics timer (core/metrics-unit.ts).
  OnBootSec: { since: 1, source: 'systemd.timer(5): monotonic timers since the first releases' },
  OnUnitActiveSec: { since: 1, source: 'systemd.timer(5): monotonic timers since the first releases' },
  AccuracySec: { since: 209, news: 'AccuracySec= setting. It defaults to 1min' },
  RandomizedDelaySec: { since: 229, news: 'new setting RandomizedDelaySec=' },
  'SystemCallFilter=@system-service': {
    since: 239,
    news: 'default to a system call allow list',
    source: 'the @system-service group (systemd PR #8766, merged for 239)',
  },
};

/** The oldest systemd the units must be fully protected on: Alibaba Cloud Linux 3's. */
export const OLDEST_SYSTEMD = 239;

const RUN = '/run/';

/** The [Service] lines of the sandbox, one directive per line, with a comment pointing at the reasons. */
export function sandboxDirectives(opts: SandboxOptions): string[] {
  const runtime = opts.writablePaths.filter((p) => p.startsWith(RUN)).map((p) => p.slice(RUN.length));
  const other = opts.writablePaths.filter((p) => !p.startsWith(RUN));
  return [
    '# Sandbox: only what ip and rdma need (docs/boot.md explains each line).',
    `CapabilityBoundingSet=CAP_NET_ADMIN${opts.entersNetworkNamespaces ? ' CAP_SYS_ADMIN CAP_SYS_PTRACE' : ''}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    ...(runtime.length > 0 ? [`RuntimeDirectory=${runtime.join(' ')}`, 'RuntimeDirectoryPreserve=yes'] : []),
    ...(other.length > 0 ? [`ReadWritePaths=${other.join(' ')}`] : []),
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'PrivateMounts=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    `RestrictNamespaces=${opts.entersNetworkNamespaces ? 'net' : 'yes'}`,
    'RestrictRealtime=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=~@privileged @resources',
    'SystemCallErrorNumber=EPERM',
    'UMask=0077',
  ];
}

/**
 * The table entries a unit's text uses: `Key` for every `Key=` line, plus `Key=value` when the table has that
 * value as its own entry (a value newer than its directive). Unknown ones come back as themselves.
 */
export function directivesUsed(unitText: string): string[] {
  const used = new Set<string>();
  for (const line of unitText.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    used.add(key);
    for (const word of value.split(/\s+/)) {
      const withValue = `${key}=${word.replace(/^~/, '')}`;
      if (withValue in UNIT_DIRECTIVES) used.add(withValue);
    }
    if (`${key}=${value}` in UNIT_DIRECTIVES) used.add(`${key}=${value}`);
  }
  return [...used];
}
