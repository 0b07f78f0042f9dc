/**
 * status: gathers every fact at once (no check waits on another; the NIC facts share one rdma/ip look and one
 * metadata batch) and evaluates them with core/readiness. A fact that cannot be gathered becomes a marked
 * check, never a crash: the report is always printed.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { HOTFIX } from '../core/kernel-policy.js';
import type { KernelRelease } from '../core/kernel-release.js';
import { erdmaNetdevs } from '../core/rdma-links.js';
import { findPrimary } from '../core/topology.js';
import { parseInstalledOptions, renderUnit, LEGACY_UNIT_NAME, UNIT_NAME } from '../core/unit.js';
import {
  conflictChecks, hotfixCheck, isUnknown, kernelCheck, metadataCheck, nicChecks, primaryCheck, rdmaCheck, smcChecks, summary, unitChecks,
  type Check, type Fact, type NicFacts, type SmcFacts, type Unknown,
} from '../core/readiness.js';
import { installedPaths } from '../host/install-paths.js';
import { observe } from '../host/iproute.js';
import { installedKernels, isInstalled, runningKernel } from '../host/packages.js';
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

async function nicFacts(runner: Runner, metadataUrl: string, deadline: Deadline, log: Logger): Promise<{ ports: Fact<Awaited<ReturnType<typeof listRdmaPorts>>>; nics: Fact<NicFacts> }> {
  return withMetadataClient({ metadataUrl, deadline, wait: false }, log, async (client) => {
    const [ports, observation] = await Promise.all([fact(() => listRdmaPorts(runner)), fact(() => observe(runner))]);
    if (isUnknown(observation)) return { ports, nics: observation };
    const primary = findPrimary(observation.routes);
    const erdmaNics = isUnknown(ports) ? [] : erdmaNetdevs(ports).filter((n) => n !== primary?.name);
    const links = observation.links.filter((l) => erdmaNics.includes(l.name) && l.mac);
    const desired = links.length === 0 ? new Map() : await fact(() => fetchNicConfigs(client, links, log));
    return { ports, nics: { links: observation.links, routes: observation.routes, primary, erdmaNics, desired } };
  });
}

function smcFacts(): SmcFacts {
  let sysctls: string[] = [];
  try {
    sysctls = readdirSync('/proc/sys/net/smc').sort();
  } catch {
    sysctls = [];
  }
  return { moduleLoaded: existsSync('/sys/module/smc'), sysctls };
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
  const running = fact(() => runningKernel(runner));
  const installed = fact(() => installedKernels(runner));
  const [runningK, installedK, hotfix, nic, unitContent, enabled, legacyEnabled, smc, nm] = await Promise.all([
    running,
    installed,
    fact(() => isInstalled(runner, HOTFIX.packageName)),
    nicFacts(runner, o.metadataUrl, o.deadline, log),
    fact(async () => readUnit()),
    fact(() => systemctl.isEnabled(UNIT_NAME)),
    fact(() => systemctl.isEnabled(LEGACY_UNIT_NAME)),
    fact(async () => smcFacts()),
    fact(() => networkManagerDevices(runner, systemctl)),
  ]);
  const installedOptions = !isUnknown(unitContent) && unitContent ? parseInstalledOptions(unitContent) : undefined;
  const expected = installedOptions ? renderUnit({ ...installedPaths(), ...installedOptions }) : undefined;

  const checks: Check[] = [kernelCheck(runningK, installedK, o.min), hotfixCheck(runningK, hotfix, installedK), rdmaCheck(nic.ports)];
  if (isUnknown(nic.nics)) checks.push({ id: 'nics', state: 'fail', detail: `cannot check: ${nic.nics.unknown}`, fix: null });
  else checks.push(primaryCheck(nic.nics), metadataCheck(nic.nics), ...nicChecks(nic.nics));
  checks.push(...unitChecks({ content: unitContent, expected, enabled, legacyEnabled }), ...smcChecks(smc));
  if (!isUnknown(nic.nics)) checks.push(...conflictChecks({ networkManager: nm, terwayPresent: terwayPresent() }, nic.nics));
  return { command: 'status', ...summary(checks), checks };
}
