/**
 * status: gathers every fact at once (no check waits on another; the NIC facts share one rdma/ip look and one
 * metadata batch) and evaluates them with core/readiness. A fact that cannot be gathered becomes a marked
 * check, never a crash: the report is always printed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { HOTFIX } from '../core/kernel-policy.js';
import type { KernelRelease } from '../core/kernel-release.js';
import { erdmaNetdevs } from '../core/rdma-links.js';
import { findPrimary } from '../core/topology.js';
import { parseInstalledOptions, renderUnit, LEGACY_UNIT_NAME, UNIT_NAME } from '../core/unit.js';
import type { NicConfig } from '../core/nic-config.js';
import {
  conflictChecks, hotfixCheck, isUnknown, kernelCheck, mergeSetupFixes, metadataCheck, nicChecks, primaryCheck,
  rdmaCheck, summary, unitChecks, type Check, type Fact, type NicFacts, type Unknown,
} from '../core/readiness.js';
import { erdmaDriverCheck, mtuCheck, rpFilterCheck, smcChecks, smcPortsCheck } from '../core/smc-readiness.js';
import { erdmaDriverFacts, rpFilterFacts, smcFacts, tcpListeners } from '../host/node-facts.js';
import { installedPaths } from '../host/install-paths.js';
import { observe } from '../host/iproute.js';
import { kernelsAndHotfix, runningKernel } from '../host/packages.js';
import { listRdmaPorts } from '../host/rdma.js';
import type { Runner } from '../host/runner.js';
import { Systemctl } from '../host/systemd.js';
import type { Logger } from '../ui/logger.js';
import { fetchNicConfigs, withMetadataClient } from './setup.js';
import { unitDir } from './service.js';

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
    const unknown: Unknown = { unknown: needsRoot ? 'needs root to check' : e instanceof Error ? e.message : String(e), ...(needsRoot ? { needsRoot } : {}) };
    return unknown;
  }
}

type Ports = Fact<Awaited<ReturnType<typeof listRdmaPorts>>>;

/**
 * rdma and ip at once; the metadata server is asked (one batch) only when there is an eRDMA NIC to look up,
 * so a node without one never contacts it.
 */
async function nicFacts(
  runner: Runner,
  metadataUrl: string,
  deadline: Deadline,
  log: Logger,
): Promise<{ ports: Ports; nics: Fact<NicFacts> }> {
  const [ports, observation] = await Promise.all([fact(() => listRdmaPorts(runner)), fact(() => observe(runner))]);
  if (isUnknown(observation)) return { ports, nics: observation };
  const primary = findPrimary(observation.routes);
  const erdmaNics = isUnknown(ports) ? [] : erdmaNetdevs(ports).filter((n) => n !== primary?.name);
  const links = observation.links.filter((l) => erdmaNics.includes(l.name) && l.mac);
  const desired: Fact<Map<string, NicConfig>> =
    links.length === 0
      ? new Map()
      : await fact(() => withMetadataClient({ metadataUrl, deadline, wait: false }, log, (client) =>
        fetchNicConfigs(client, links, log)));
  return { ports, nics: { links: observation.links, routes: observation.routes, primary, erdmaNics, desired } };
}

function terwayPresent(): boolean {
  try {
    return readdirSync('/etc/cni/net.d').some((f) => /terway/i.test(f));
  } catch {
    return false;
  }
}

async function networkManagerDevices(runner: Runner, systemctl: Systemctl): Promise<Map<string, string> | undefined> {
  if ((await systemctl.isActive('NetworkManager.service')) !== 'active') return undefined;
  const r = await runner.run({ file: 'nmcli', args: ['-t', '-f', 'DEVICE,STATE', 'device', 'status'], mutates: false });
  if (r.exitCode !== 0) throw new Error(`nmcli failed: ${r.stderr.trim()}`);
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => l.split(':') as [string, string]));
}

function readUnit(): string | undefined {
  const path = join(unitDir(undefined), UNIT_NAME);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function runStatus(runner: Runner, o: { min: KernelRelease; metadataUrl: string; deadline: Deadline }, log: Logger): Promise<StatusReport> {
  const systemctl = new Systemctl(runner, undefined);
  // rdma and ip first: the metadata round trip waits on them; the other tools start while it is under way.
  const nicWork = nicFacts(runner, o.metadataUrl, o.deadline, log);
  const packages = fact(() => kernelsAndHotfix(runner, HOTFIX.packageName));
  const unitFile = fact(async () => readUnit());
  const part = <K extends 'kernels' | 'hotfix'>(k: K) => packages.then((p) => (isUnknown(p) ? p : p[k]));
  const [runningK, installedK, hotfix, nic, unitContent, enabled, legacyEnabled, smc, nm] = await Promise.all([
    fact(() => runningKernel(runner)),
    part('kernels'),
    part('hotfix'),
    nicWork,
    unitFile,
    // Asked only when the unit file is there: without it the boot-unit check is "not installed" either way.
    unitFile.then((u) => (isUnknown(u) || u !== undefined ? fact(() => systemctl.isEnabled(UNIT_NAME)) : 'not-found')),
    fact(() => systemctl.isEnabled(LEGACY_UNIT_NAME)),
    fact(async () => smcFacts()),
    fact(() => networkManagerDevices(runner, systemctl)),
  ]);
  const installedOptions = !isUnknown(unitContent) && unitContent ? parseInstalledOptions(unitContent) : undefined;
  const expected = installedOptions ? renderUnit({ ...installedPaths(), ...installedOptions }) : undefined;

  const devicesListed = !isUnknown(nic.ports) && nic.ports.length > 0;
  const checks: Check[] = [
    kernelCheck(runningK, installedK, o.min),
    hotfixCheck(runningK, hotfix, installedK),
    rdmaCheck(nic.ports),
    erdmaDriverCheck(await fact(async () => erdmaDriverFacts(devicesListed))),
  ];
  if (isUnknown(nic.nics)) checks.push({ id: 'nics', state: 'fail', detail: `cannot check: ${nic.nics.unknown}`, fix: null });
  else {
    const n = nic.nics;
    checks.push(
      primaryCheck(n),
      metadataCheck(n),
      ...mergeSetupFixes(nicChecks(n), n.erdmaNics),
      mtuCheck(n.links, n.primary?.name, n.erdmaNics),
      rpFilterCheck(await fact(async () => rpFilterFacts(n.erdmaNics))),
    );
  }
  checks.push(
    ...unitChecks({ content: unitContent, expected, enabled, legacyEnabled }),
    ...smcChecks(smc),
    smcPortsCheck(await fact(async () => tcpListeners())),
  );
  if (!isUnknown(nic.nics)) checks.push(...conflictChecks({ networkManager: nm, terwayPresent: terwayPresent() }, nic.nics));
  return { command: 'status', ...summary(checks), checks };
}
