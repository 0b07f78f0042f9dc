/**
 * Pure readiness evaluation: facts in, checks out. Each check says ok / warn / fail, what it saw, and for
 * anything not ok the exact command that fixes it. Facts that could not be gathered arrive as `Unknown`.
 */
import { formatKernel, meetsMinimum, parseKernelRelease, type KernelRelease } from './kernel-release.js';
import { checkKernel, HOTFIX, upgradeCommand } from './kernel-policy.js';
import { describeConflict, findConflicts } from './address-conflicts.js';
import type { LinkInfo, RouteInfo } from './iproute-json.js';
import type { NicConfig } from './nic-config.js';
import type { RdmaPort } from './rdma-links.js';
import { describeSubnetMismatch, erdmaMetric, subnetMismatch, subnetMismatchFix, type Primary } from './topology.js';
import { LEGACY_UNIT_NAME, UNIT_NAME } from './unit.js';

export type CheckState = 'ok' | 'warn' | 'fail';

export interface Check {
  id: string;
  state: CheckState;
  detail: string;
  fix: string | null;
  /** The check could not look because it is not root. */
  needsRoot?: boolean;
}

/** A fact that could not be gathered, and why. */
export interface Unknown {
  unknown: string;
  needsRoot?: boolean;
}
export type Fact<T> = T | Unknown;
export const isUnknown = <T>(f: Fact<T>): f is Unknown => typeof f === 'object' && f !== null && 'unknown' in f;

export const check = (id: string, state: CheckState, detail: string, fix: string | null = null): Check => ({
  id,
  state,
  detail,
  fix,
});
export const unknownCheck = (id: string, f: Unknown, state: CheckState = 'warn'): Check => ({
  id,
  state,
  detail: `cannot check: ${f.unknown}`,
  fix: null,
  ...(f.needsRoot ? { needsRoot: true } : {}),
});

/** From 17.3 the kernel's SMC takes IPv4-mapped IPv6 addresses, which dual-stack sidecar sockets use. */
const SMC_MAPPED_IPV6_KERNEL = parseKernelRelease('5.10.134-17.3') as KernelRelease;

export function kernelCheck(running: Fact<KernelRelease>, installed: Fact<KernelRelease[]>, min: KernelRelease): Check {
  if (isUnknown(running)) return unknownCheck('kernel', running, 'fail');
  const c = checkKernel(running, isUnknown(installed) ? [] : installed, min);
  if (c.meets && !meetsMinimum(running, SMC_MAPPED_IPV6_KERNEL)) {
    const newer = c.newerInstalled ? parseKernelRelease(c.newerInstalled) : undefined;
    const installedOk = newer !== undefined && meetsMinimum(newer, SMC_MAPPED_IPV6_KERNEL);
    return check(
      'kernel',
      'warn',
      `${c.running} meets the minimum ${c.minimum}, but SMC over IPv4-mapped IPv6 addresses (dual-stack sidecar ` +
        'sockets) needs 5.10.134-17.3: those connections fall back to TCP',
      installedOk ? `reboot (${c.newerInstalled} is installed)` : 'asm-erdma kernel upgrade --min 5.10.134-17.3',
    );
  }
  if (c.meets) return check('kernel', 'ok', `${c.running} meets the minimum ${c.minimum}`);
  if (c.rebootPending)
    return check(
      'kernel',
      'fail',
      `${c.running} is below ${c.minimum}; ${c.newerInstalled} is installed: reboot pending`,
      'reboot',
    );
  return check('kernel', 'fail', `${c.running} is below the minimum ${c.minimum}`, upgradeCommand(min));
}

export function hotfixCheck(
  running: Fact<KernelRelease>,
  hotfixInstalled: Fact<boolean>,
  installed: Fact<KernelRelease[]>,
): Check {
  if (isUnknown(running)) return unknownCheck('hotfix', running);
  const kernels = isUnknown(installed) ? [] : installed;
  // The same decision as `kernel check` (core/kernel-policy), so the two never disagree.
  if (!checkKernel(running, kernels, HOTFIX.forKernel).hotfixNeeded) {
    return check('hotfix', 'ok', `not needed on ${formatKernel(running)}`);
  }
  if (isUnknown(hotfixInstalled)) return unknownCheck('hotfix', hotfixInstalled, 'fail');
  const c = checkKernel(running, kernels, HOTFIX.forKernel, hotfixInstalled);
  if (!c.hotfixNeeded) return check('hotfix', 'ok', `${HOTFIX.packageName} is installed`);
  return check(
    'hotfix',
    'fail',
    `${c.running} needs ${HOTFIX.packageName} (pod deletion hangs without it)`,
    'asm-erdma hotfix',
  );
}

export function rdmaCheck(ports: Fact<RdmaPort[]>): Check {
  if (isUnknown(ports)) return check('erdma-devices', 'fail', ports.unknown, 'modprobe erdma');
  if (ports.length === 0)
    return check(
      'erdma-devices',
      'fail',
      'rdma link show lists no device',
      'attach an eRDMA-enabled ENI to this instance, then modprobe erdma',
    );
  return check(
    'erdma-devices',
    'ok',
    ports.map((p) => `${p.device}/${p.port} ${p.state}${p.netdev ? ` (${p.netdev})` : ''}`).join(', '),
  );
}

export interface NicFacts {
  links: LinkInfo[];
  routes: RouteInfo[];
  primary: Primary | undefined;
  erdmaNics: string[];
  /** What the metadata server says each NIC should have; Unknown when it could not be asked. */
  desired: Fact<Map<string, NicConfig>>;
}

export function primaryCheck(f: NicFacts): Check {
  if (!f.primary)
    return check(
      'primary-nic',
      'fail',
      'no default route in the main table: the primary NIC is unknown',
      'ip route show default',
    );
  const route = f.primary.defaultRoute;
  return check(
    'primary-nic',
    'ok',
    `${f.primary.name} (default route via ${route.gateway ?? 'link'}, metric ${route.metric}); never changed`,
  );
}

export function metadataCheck(f: NicFacts): Check {
  if (f.erdmaNics.length === 0) return check('metadata', 'ok', 'not asked: no eRDMA NIC to look up');
  if (isUnknown(f.desired))
    return check(
      'metadata',
      'fail',
      f.desired.unknown,
      'check that 100.100.100.200 answers from this node: curl -s http://100.100.100.200/latest/meta-data/mac',
    );
  // The same conflicts setup refuses (an answer equal to the primary's address, a gateway, another NIC's…).
  const wanted = [...f.desired].map(([nic, c]) => ({ nic, ...c }));
  const conflicts = f.primary ? findConflicts(wanted, f.links, f.routes, f.primary.name) : [];
  if (conflicts.length > 0) {
    return check(
      'metadata',
      'fail',
      conflicts.map(describeConflict).join('; '),
      "check the ENI's primary private IP in the ECS console: asm-erdma setup refuses this answer",
    );
  }
  return check('metadata', 'ok', `answers for ${f.desired.size} eRDMA NIC(s)`);
}

export function nicChecks(f: NicFacts): Check[] {
  return f.erdmaNics.map((name) => {
    const id = `nic:${name}`;
    const link = f.links.find((l) => l.name === name);
    if (!link) return check(id, 'fail', `rdma names ${name} but ip does not know it`, 'ip link show');
    const setupFix = `asm-erdma setup -i ${name}`;
    if (!link.adminUp) return check(id, 'fail', `${name} is down`, setupFix);
    // Administratively up is not enough: without carrier (NO-CARRIER, no LOWER_UP) nothing passes.
    if (!(link.lowerUp ?? link.operstate === 'UP')) {
      return check(
        id,
        'fail',
        `${name} is up but has no carrier (operstate ${link.operstate}, NO-CARRIER)`,
        'check that the ENI is attached to this instance (ECS console), then: ' +
          `ip link set dev ${name} down && ip link set dev ${name} up`,
      );
    }
    if (isUnknown(f.desired) || !f.desired.get(name)) {
      const have = link.ipv4.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
      return check(
        id,
        'warn',
        `${name} is up with ${have.join(', ') || 'no IPv4 address'}; not compared with the metadata server`,
      );
    }
    const want = f.desired.get(name) as NicConfig;
    const addr = link.ipv4.find((a) => a.local === want.address && a.prefixlen === want.prefix);
    if (!addr) return check(id, 'fail', `${name} lacks ${want.address}/${want.prefix}`, setupFix);
    if (f.primary) {
      const metric = erdmaMetric(f.routes, f.primary, want.address);
      if (addr.metric !== metric)
        return check(
          id,
          'fail',
          `${name} route metric ${addr.metric}, expected ${metric} (primary ${f.primary.name}'s + 1)`,
          setupFix,
        );
      const subnet = subnetMismatch(f.links, f.primary.name, name, want);
      if (subnet) return check(id, 'fail', describeSubnetMismatch(subnet), subnetMismatchFix(subnet));
    }
    return check(id, 'ok', `${name} up, ${want.address}/${want.prefix} metric ${addr.metric}`);
  });
}

export interface UnitFacts {
  content: Fact<string | undefined>;
  expected: string | undefined;
  enabled: Fact<string>;
  legacyEnabled: Fact<string>;
}

export function unitChecks(f: UnitFacts): Check[] {
  const checks: Check[] = [];
  if (isUnknown(f.content)) checks.push(unknownCheck('boot-unit', f.content));
  else if (f.content === undefined)
    checks.push(
      check(
        'boot-unit',
        'warn',
        `${UNIT_NAME} is not installed: the NICs lose their configuration at reboot`,
        'asm-erdma install-service',
      ),
    );
  else if (isUnknown(f.enabled)) checks.push(unknownCheck('boot-unit', f.enabled));
  else if (f.enabled !== 'enabled')
    checks.push(check('boot-unit', 'warn', `${UNIT_NAME} is installed but ${f.enabled}`, 'asm-erdma install-service'));
  else if (f.expected !== undefined && f.content !== f.expected)
    checks.push(
      check(
        'boot-unit',
        'warn',
        `${UNIT_NAME} differs from what install-service writes now (moved CLI or node?)`,
        'asm-erdma install-service',
      ),
    );
  else checks.push(check('boot-unit', 'ok', `${UNIT_NAME} installed and enabled`));
  if (!isUnknown(f.legacyEnabled) && f.legacyEnabled === 'enabled') {
    checks.push(
      check(
        'legacy-unit',
        'warn',
        `the old ${LEGACY_UNIT_NAME} is still enabled and races ${UNIT_NAME} at boot`,
        `systemctl disable ${LEGACY_UNIT_NAME}`,
      ),
    );
  }
  return checks;
}

export interface ConflictFacts {
  /** NetworkManager's view: device → state, or undefined when it is not running. */
  networkManager: Fact<Map<string, string> | undefined>;
  terwayPresent: boolean;
}

export function conflictChecks(f: ConflictFacts, nics: NicFacts): Check[] {
  const checks: Check[] = [];
  const nm = f.networkManager;
  if (isUnknown(nm)) checks.push(unknownCheck('network-manager', nm));
  else if (nm === undefined) checks.push(check('network-manager', 'ok', 'NetworkManager is not running'));
  else {
    const claimed = nics.erdmaNics.filter((n) => (nm.get(n) ?? 'unmanaged') !== 'unmanaged');
    checks.push(
      claimed.length === 0
        ? check('network-manager', 'ok', 'NetworkManager leaves the eRDMA NICs alone (unmanaged)')
        : check(
            'network-manager',
            'warn',
            `NetworkManager manages ${claimed.join(', ')} and may undo setup`,
            networkManagerFix(claimed),
          ),
    );
  }
  if (f.terwayPresent && !isUnknown(nics.desired)) {
    const desired = nics.desired;
    const foreign = nics.erdmaNics.flatMap((n) => {
      const want = desired.get(n);
      const link = nics.links.find((l) => l.name === n);
      return (link?.ipv4 ?? [])
        .filter((a) => a.scope === 'global' && a.local !== want?.address)
        .map((a) => `${n} ${a.local}/${a.prefixlen}`);
    });
    checks.push(
      foreign.length === 0
        ? check('terway', 'ok', 'Terway is on this node and does not use the eRDMA NICs')
        : check(
            'terway',
            'warn',
            `Terway is on this node and the eRDMA NICs carry addresses that are not theirs: ${foreign.join(', ')}`,
            'exclude the eRDMA ENI in the eni-config ConfigMap (eni_tag_filter), ' +
              'then asm-erdma reset --all && asm-erdma setup',
          ),
    );
  }
  return checks;
}

/** Now (nmcli device set … managed no) and across NetworkManager restarts and reboots (conf.d keyfile). */
function networkManagerFix(nics: string[]): string {
  const now = nics.map((n) => `nmcli device set ${n} managed no`).join(' && ');
  const devices = nics.map((n) => `interface-name:${n}`).join(';');
  const file = '/etc/NetworkManager/conf.d/99-asm-erdma.conf';
  return `${now} && printf '[keyfile]\\nunmanaged-devices=${devices}\\n' > ${file}`;
}

const SETUP_FIX = /^asm-erdma setup -i (\S+)$/;

/**
 * One `asm-erdma setup` instead of one per NIC: when several checks each ask for `setup -i <nic>`, they all
 * get the same single command (for every NIC when all of them need it), which the table prints once.
 */
export function mergeSetupFixes(checks: Check[], erdmaNics: string[]): Check[] {
  const nics = checks.flatMap((c) => SETUP_FIX.exec(c.fix ?? '')?.[1] ?? []);
  if (nics.length < 2) return checks;
  const fix = erdmaNics.every((n) => nics.includes(n))
    ? 'asm-erdma setup'
    : `asm-erdma setup ${nics.map((n) => `-i ${n}`).join(' ')}`;
  return checks.map((c) => (SETUP_FIX.test(c.fix ?? '') ? { ...c, fix } : c));
}

export function summary(checks: Check[]): { ready: boolean; failed: number; warnings: number } {
  const failed = checks.filter((c) => c.state === 'fail').length;
  return { ready: failed === 0, failed, warnings: checks.filter((c) => c.state === 'warn').length };
}
