/**
 * status: gathers every fact at once (no check waits on another; the NIC facts share one rdma/ip look and one
 * metadata batch) and evaluates them with core/readiness. A fact that cannot be gathered becomes a marked
 * check, never a crash: the report is always printed.
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { HOTFIX } from '../core/kernel-policy.js';
import type { KernelRelease } from '../core/kernel-release.js';
import type { NicConfig } from '../core/nic-config.js';
import { erdmaNetdevs, type RdmaPort } from '../core/rdma-links.js';
import {
  conflictChecks,
  hotfixCheck,
  isUnknown,
  kernelCheck,
  mergeSetupFixes,
  metadataCheck,
  nicChecks,
  primaryCheck,
  rdmaCheck,
  summary,
  unitChecks,
  type Check,
  type Fact,
  type NicFacts,
  type Unknown,
} from '../core/readiness.js';
import { servicePaths } from '../core/service-plan.js';
import { erdmaDriverCheck, mtuCheck, rpFilterCheck, smcChecks, smcPortsCheck } from '../core/smc-readiness.js';
import { findPrimary } from '../core/topology.js';
import { LEGACY_UNIT_NAME, parseInstalledOptions, renderUnit, UNIT_NAME } from '../core/unit.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { fetchNicConfigs, withMetadata } from './nic-metadata.js';

export interface StatusReport {
  command: 'status';
  ready: boolean;
  failed: number;
  warnings: number;
  checks: Check[];
}

/** Turns a failed fact-gathering into an Unknown with a one-line reason; EACCES means "needs root". */
async function fact<T>(work: () => Promise<T>): Promise<Fact<T>> {
  try {
    return await work();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const needsRoot = code === 'EACCES' || code === 'EPERM' || (e instanceof ExitError && e.code === 3);
    const unknown: Unknown = {
      unknown: needsRoot ? 'needs root to check' : e instanceof Error ? e.message : String(e),
      ...(needsRoot ? { needsRoot } : {}),
    };
    return unknown;
  }
}

type Ports = Fact<RdmaPort[]>;

/**
 * rdma and ip at once; the metadata server is asked (one batch) only when there is an eRDMA NIC to look up,
 * so a node without one never contacts it.
 */
async function nicFacts(
  host: Host,
  metadataUrl: string,
  deadline: Deadline,
  log: Logger,
): Promise<{ ports: Ports; nics: Fact<NicFacts> }> {
  const [ports, observation] = await Promise.all([fact(() => host.rdmaPorts()), fact(() => host.observe())]);
  if (isUnknown(observation)) return { ports, nics: observation };
  const primary = findPrimary(observation.routes);
  const erdmaNics = isUnknown(ports) ? [] : erdmaNetdevs(ports).filter((n) => n !== primary?.name);
  const links = observation.links.flatMap((l) => (erdmaNics.includes(l.name) && l.mac ? [{ ...l, mac: l.mac }] : []));
  const ask = async (): Promise<Map<string, NicConfig>> => {
    const configs = await withMetadata(host, { metadataUrl, deadline }, log, (source) =>
      fetchNicConfigs(source, links, log),
    );
    return new Map(configs.map(({ nic, config }) => [nic.name, config]));
  };
  const desired: Fact<Map<string, NicConfig>> = links.length === 0 ? new Map() : await fact(ask);
  return { ports, nics: { links: observation.links, routes: observation.routes, primary, erdmaNics, desired } };
}

/** The installed unit's text; undefined when there is none. */
const readUnit = (host: Host): string | undefined => host.readFile(servicePaths(undefined).unit);

/** The facts behind a report that `metrics` exports besides the checks. */
export interface StatusFacts {
  runningKernel: Fact<KernelRelease>;
  nics: Fact<NicFacts>;
}

export type StatusOptions = { min: KernelRelease; metadataUrl: string; deadline: Deadline };

export async function runStatus(host: Host, o: StatusOptions, log: Logger): Promise<StatusReport> {
  return (await gatherStatus(host, o, log)).report;
}

/** Every check (the report) and the facts they were made from. */
export async function gatherStatus(
  host: Host,
  o: StatusOptions,
  log: Logger,
): Promise<{ report: StatusReport; facts: StatusFacts }> {
  // rdma and ip first: the metadata round trip waits on them; the other tools start while it is under way.
  const nicWork = nicFacts(host, o.metadataUrl, o.deadline, log);
  const packages = fact(() => host.kernelsAndHotfix(HOTFIX.packageName));
  const unitFile = fact(async () => readUnit(host));
  const part = <K extends 'kernels' | 'hotfix'>(k: K) => packages.then((p) => (isUnknown(p) ? p : p[k]));
  const [runningK, installedK, hotfix, nic, unitContent, enabled, legacyEnabled, smc, nm] = await Promise.all([
    fact(() => host.runningKernel()),
    part('kernels'),
    part('hotfix'),
    nicWork,
    unitFile,
    // Asked only when the unit file is there: without it the boot-unit check is "not installed" either way.
    unitFile.then((u) => (isUnknown(u) || u !== undefined ? fact(() => host.unitEnabled(UNIT_NAME)) : 'not-found')),
    fact(() => host.unitEnabled(LEGACY_UNIT_NAME)),
    fact(async () => host.smcFacts()),
    fact(() => host.networkManagerDevices()),
  ]);
  const installedOptions = !isUnknown(unitContent) && unitContent ? parseInstalledOptions(unitContent) : undefined;
  const expected = installedOptions ? renderUnit({ ...host.installedPaths(), ...installedOptions }) : undefined;

  const devicesListed = !isUnknown(nic.ports) && nic.ports.length > 0;
  const checks: Check[] = [
    kernelCheck(runningK, installedK, o.min),
    hotfixCheck(runningK, hotfix, installedK),
    rdmaCheck(nic.ports),
    erdmaDriverCheck(await fact(async () => host.erdmaDriverFacts(devicesListed))),
  ];
  if (isUnknown(nic.nics))
    checks.push({ id: 'nics', state: 'fail', detail: `cannot check: ${nic.nics.unknown}`, fix: null });
  else {
    const n = nic.nics;
    checks.push(
      primaryCheck(n),
      metadataCheck(n),
      ...mergeSetupFixes(nicChecks(n), n.erdmaNics),
      mtuCheck(n.links, n.primary?.name, n.erdmaNics),
      rpFilterCheck(await fact(async () => host.rpFilterFacts(n.erdmaNics))),
    );
  }
  checks.push(
    ...unitChecks({ content: unitContent, expected, enabled, legacyEnabled }),
    ...smcChecks(smc),
    smcPortsCheck(await fact(async () => host.tcpListeners())),
  );
  if (!isUnknown(nic.nics))
    checks.push(...conflictChecks({ networkManager: nm, terwayPresent: host.terwayPresent() }, nic.nics));
  return {
    report: { command: 'status', ...summary(checks), checks },
    facts: { runningKernel: runningK, nics: nic.nics },
  };
}

/**
 * How a printed status run ends: a tool killed at the deadline marked its check, but the exit code still says a
 * tool hung (9), not "not ready" (14); undefined when the node is ready.
 */
export function statusFailure(host: Host, report: StatusReport, timeoutSeconds: number): ExitError | undefined {
  const hung = host.killedTools()[0];
  if (hung) {
    const what = `${hung} did not answer within ${timeoutSeconds} s; it was killed (its check is marked above)`;
    return new ExitError('toolTimeout', what, 'run it by hand to see why it hangs');
  }
  if (!report.ready) return new ExitError('notReady', 'not ready', undefined, true);
  return undefined;
}
