/**
 * Readiness checks beyond the NIC itself: the erdma driver, the smc modules and sysctls, smc-tools, eRDMA's
 * reserved ports, reverse-path filtering and MTU. Pure: facts in (read from /sys and /proc by
 * host/node-facts.ts), checks out, each non-ok one with the command that fixes it.
 */
import type { LinkInfo } from './iproute-json.js';
import type { Listener } from './proc-net-tcp.js';
import { check, isUnknown, unknownCheck, type Check, type Fact } from './readiness.js';

export interface ErdmaDriverFacts {
  /** /sys/module/erdma exists. */
  loaded: boolean;
  /** /sys/module/erdma/parameters/compat_mode: 'Y' or 'N'; undefined when the driver has no such parameter. */
  compatMode: string | undefined;
  /** rdma lists erdma devices (a driver built into the kernel may have no /sys/module entry). */
  devicesListed: boolean;
}

export function erdmaDriverCheck(f: Fact<ErdmaDriverFacts>): Check {
  if (isUnknown(f)) return unknownCheck('erdma-driver', f);
  if (!f.loaded && !f.devicesListed) {
    return check('erdma-driver', 'fail', 'the erdma driver is not loaded (/sys/module/erdma)', 'modprobe erdma');
  }
  if (!f.loaded) return check('erdma-driver', 'ok', 'erdma is built into the kernel (its devices are listed)');
  const mode = f.compatMode === undefined ? 'no compat_mode parameter' : `compat_mode=${f.compatMode}`;
  return check('erdma-driver', 'ok', `erdma is loaded (${mode})`);
}

export interface SmcFacts {
  smcLoaded: boolean;
  smcDiagLoaded: boolean;
  /** Entries of /proc/sys/net/smc ([] when absent). */
  sysctls: string[];
  /** /proc/sys/net/smc/tcp2smc's value, undefined when the file does not exist. */
  tcp2smc: string | undefined;
  /** Where smcss (smc-tools) is on PATH, if anywhere. */
  smcss: string | undefined;
}

/** In how many pod network namespaces net.smc.tcp2smc is on (read inside each: it is per namespace). */
export interface PodTcp2smc {
  /** Pod namespaces read. */
  pods: number;
  on: number;
  /** Pods whose value could not be read in time. */
  unread: number;
}

/** The smc-tcp2smc detail: ASM sets tcp2smc per pod, so the count over the pods is what tells. */
function tcp2smcDetail(host: string, pods: Fact<PodTcp2smc> | undefined): string {
  if (pods === undefined || isUnknown(pods)) {
    const why = pods?.needsRoot ? 'as root, status counts the pods with it on' : 'ASM sets it per pod';
    return `net.smc.tcp2smc exists (${host} in the host's namespace; ${why})`;
  }
  if (pods.pods === 0 && pods.unread === 0) {
    return `net.smc.tcp2smc exists (${host} in the host's namespace; no pod network namespaces on this node)`;
  }
  const unread = pods.unread ? `; ${pods.unread} not read in time` : '';
  return `net.smc.tcp2smc is on in ${pods.on} of ${pods.pods} pod network namespaces (${host} in the host's${unread})`;
}

export function smcChecks(f: Fact<SmcFacts>, pods?: Fact<PodTcp2smc>): Check[] {
  if (isUnknown(f)) return [unknownCheck('smc-module', f)];
  const modprobe = 'modprobe smc';
  const list = f.sysctls.slice(0, 4).join(', ') + (f.sysctls.length > 4 ? ', …' : '');
  const tooOld = "asm-erdma kernel upgrade (this kernel's SMC is too old)";
  return [
    f.smcLoaded
      ? check('smc-module', 'ok', 'smc is loaded (/sys/module/smc)')
      : check('smc-module', 'fail', 'the smc kernel module is not loaded', modprobe),
    f.smcDiagLoaded
      ? check('smc-diag', 'ok', 'smc_diag is loaded: smcss and asm-erdma diag can list SMC sockets')
      : check(
          'smc-diag',
          'warn',
          'smc_diag is not loaded: smcss and asm-erdma diag cannot list SMC sockets',
          'modprobe smc_diag',
        ),
    f.sysctls.length > 0
      ? check('smc-sysctl', 'ok', `net.smc: ${list}`)
      : check(
          'smc-sysctl',
          f.smcLoaded ? 'fail' : 'warn',
          'no net.smc sysctls (/proc/sys/net/smc)',
          f.smcLoaded ? tooOld : modprobe,
        ),
    f.tcp2smc !== undefined
      ? check('smc-tcp2smc', 'ok', tcp2smcDetail(f.tcp2smc.trim(), pods))
      : check(
          'smc-tcp2smc',
          f.smcLoaded ? 'fail' : 'warn',
          "no /proc/sys/net/smc/tcp2smc: ASM cannot switch pods' TCP to SMC on this kernel",
          f.smcLoaded ? tooOld : modprobe,
        ),
    f.smcss !== undefined
      ? check('smc-tools', 'ok', `smcss is at ${f.smcss}`)
      : check(
          'smc-tools',
          'warn',
          'smc-tools is not installed: no smcss to see which connections use SMC',
          'yum install -y smc-tools',
        ),
  ];
}

/** eRDMA uses these ports for its out-of-band traffic; a listener there breaks it. */
const ERDMA_PORTS = { first: 65500, last: 65515 } as const;

export function smcPortsCheck(listeners: Fact<Listener[]>): Check {
  if (isUnknown(listeners)) return unknownCheck('smc-ports', listeners);
  const { first, last } = ERDMA_PORTS;
  const taken = listeners.filter((l) => l.port >= first && l.port <= last);
  if (taken.length === 0) {
    return check('smc-ports', 'ok', `nothing listens on ${first}–${last} (eRDMA's reserved ports)`);
  }
  const which = [...new Set(taken.map((l) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`))];
  return check(
    'smc-ports',
    'fail',
    `a TCP listener holds eRDMA's reserved ports ${first}–${last}: ${which.join(', ')}`,
    `move that service off the range (find it: ss -ltnp 'sport >= :${first} and sport <= :${last}'), then ` +
      `keep the range free: sysctl -w net.ipv4.ip_local_reserved_ports=${first}-${last}`,
  );
}

export interface RpFilterFacts {
  /** net.ipv4.conf.all.rp_filter */
  all: number;
  /** net.ipv4.conf.<nic>.rp_filter for each eRDMA NIC (undefined when the NIC has no conf entry). */
  nics: Map<string, number | undefined>;
}

/** sysctl(8) writes a '.' inside an interface name as '/'. */
const sysctlKey = (dev: string): string => `net.ipv4.conf.${dev.replace(/\./g, '/')}.rp_filter`;

export function rpFilterCheck(f: Fact<RpFilterFacts>): Check {
  if (isUnknown(f)) return unknownCheck('rp-filter', f);
  if (f.nics.size === 0) return check('rp-filter', 'ok', 'no eRDMA NIC to check');
  // The kernel uses max(conf/all, conf/<nic>): 0 off, 1 strict, 2 loose.
  const words = ['off', 'strict', 'loose'];
  const seen = [...f.nics].map(([nic, value]) => ({ nic, value, effective: Math.max(f.all, value ?? 0) }));
  const text = seen.map((s) => `${s.nic} ${s.effective} (${words[s.effective] ?? '?'})`).join(', ');
  const strict = seen.filter((s) => s.effective === 1);
  if (strict.length === 0) return check('rp-filter', 'ok', `effective rp_filter: ${text}`);
  const devs = [...(f.all === 1 ? ['all'] : []), ...strict.filter((s) => s.value === 1).map((s) => s.nic)];
  const keys = devs.map(sysctlKey);
  const set = keys.map((k) => `${k}=2`);
  return check(
    'rp-filter',
    'warn',
    `strict reverse-path filtering on ${strict.map((s) => s.nic).join(', ')} (effective: ${text}): the eRDMA NIC ` +
      "shares the primary's subnet, so replies arriving on it can be dropped",
    `sysctl -w ${set.join(' ')} && printf '${set.map((k) => k.replace('=', ' = ')).join('\\n')}\\n' ` +
      '> /etc/sysctl.d/90-asm-erdma.conf',
  );
}

export function mtuCheck(links: LinkInfo[], primary: string | undefined, erdmaNics: string[]): Check {
  const main = links.find((l) => l.name === primary);
  const nics = erdmaNics.map((n) => links.find((l) => l.name === n)).filter((l): l is LinkInfo => l !== undefined);
  if (nics.length === 0) return check('mtu', 'ok', 'no eRDMA NIC to compare');
  const mtus = nics.map((l) => `${l.name} MTU ${l.mtu ?? '?'}`);
  if (!main?.mtu) return check('mtu', 'ok', `${mtus.join(', ')} (no primary to compare)`);
  const differ = nics.filter((l) => l.mtu !== main.mtu);
  const jumbo = main.mtu > 1500 ? ' (jumbo frames)' : '';
  if (differ.length === 0) {
    const names = nics.map((l) => l.name).join(', ');
    return check('mtu', 'ok', `${names} MTU ${main.mtu}, same as the primary ${main.name}${jumbo}`);
  }
  return check(
    'mtu',
    'warn',
    `${differ.map((l) => `${l.name} MTU ${l.mtu ?? '?'}`).join(', ')}, ` +
      `but the primary ${main.name} has ${main.mtu}${jumbo}`,
    differ.map((l) => `ip link set dev ${l.name} mtu ${main.mtu}`).join(' && '),
  );
}
