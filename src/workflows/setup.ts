/**
 * setup: discover → fetch every NIC's metadata at once → validate all → plan all → apply → record. Nothing is
 * changed unless every answer for every chosen NIC is valid. One record per NIC (SetupNic) is carried from
 * discovery to the report.
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { describeConflict, findConflicts } from '../core/address-conflicts.js';
import type { NicConfig } from '../core/nic-config.js';
import { describeAction, planSetup, type SetupPlan } from '../core/nic-plan.js';
import { recordAfterSetup, recordedFor, type LinkResult } from '../core/owned-record.js';
import { describeSubnetMismatch, erdmaMetric, subnetMismatch, type SubnetMismatch } from '../core/topology.js';
import type { LinkOutcome } from '../host/host.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { discover, type Nic } from './discover.js';
import { fetchNicConfigs, fetchNicConfigsWaiting, withMetadata, type UnknownNic } from './nic-metadata.js';
import { noteLastSetup, recordOutcome } from './record.js';

export interface SetupOptions {
  interfaces: string[];
  metadataUrl: string;
  deadline: Deadline;
  /** Boot mode: wait for the eRDMA driver and the metadata server within the deadline. */
  wait: boolean;
  /** Boot mode without --interface: how long the device set must stay unchanged (discover's default). */
  settleMs?: number;
}

export interface NicReport {
  name: string;
  mac: string;
  /** The four below are absent when the NIC failed before planning (failedAt 'metadata'). */
  address?: string;
  prefix?: number;
  gateway?: string;
  metric?: number;
  /** Addresses setup's record gave this NIC that metadata no longer gives: replaced in this run. */
  stale: string[];
  actions: string[];
  result: LinkResult;
  warnings: string[];
  error?: string;
  /** setup --wait: the metadata server still did not know this NIC at the deadline; it was left as it was. */
  failedAt?: 'metadata';
}

export interface SetupReport {
  command: 'setup';
  primary: string;
  nics: NicReport[];
  /** Set when the NICs changed but setup's record could not be updated (reset then asks the metadata server). */
  recordError?: string;
}

interface SetupNic {
  nic: Nic;
  config: NicConfig;
  metric: number;
  plan: SetupPlan;
  /** Outside the primary's subnet: configured all the same (the address is the ENI's), with a warning. */
  subnet: SubnetMismatch | undefined;
}

function report({ nic, config, metric, plan, subnet, outcome }: SetupNic & { outcome: LinkOutcome }): NicReport {
  const warnings = plan.foreign.map(
    (a) =>
      `${nic.name} also carries ${a.local}/${a.prefixlen}, which the metadata server did not give ` +
      '(Terway? check its eni_tag_filter)',
  );
  if (subnet) {
    warnings.push(`${describeSubnetMismatch(subnet)}; configured as the metadata server says (asm-erdma status)`);
  }
  return {
    name: nic.name,
    mac: nic.mac,
    ...config,
    metric,
    stale: plan.stale.map((a) => `${a.local}/${a.prefixlen}`),
    actions: plan.actions.map(describeAction),
    result: outcome.result,
    warnings,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

function unknownReport({ nic, error }: UnknownNic<Nic>): NicReport {
  return {
    name: nic.name,
    mac: nic.mac,
    stale: [],
    actions: [],
    result: 'failed',
    warnings: [],
    error,
    failedAt: 'metadata',
  };
}

export async function runSetup(host: Host, options: SetupOptions, log: Logger): Promise<SetupReport> {
  // The privilege, then the lock, then the work; the executor knows whether this run needs the first two.
  host.changes.requirePrivilege('net-admin', 'setup');
  const onWait = () => log.info('another asm-erdma run is in progress; waiting for it…');
  return host.changes.exclusively(options.deadline, onWait, () => setupLocked(host, options, log));
}

async function setupLocked(host: Host, options: SetupOptions, log: Logger): Promise<SetupReport> {
  // The record is checked before anything else: a fault in it refuses the run with nothing changed.
  const owned = host.changes.ownedRecord();
  let report: SetupReport;
  try {
    report = await configure(host, options, log, owned);
  } catch (e) {
    await noteLastSetup(host, owned, false);
    throw e;
  }
  const ok = (n: NicReport): boolean => n.result === 'changed' || n.result === 'unchanged';
  await noteLastSetup(host, owned, report.nics.every(ok) && !report.recordError);
  return report;
}

async function configure(
  host: Host,
  options: SetupOptions,
  log: Logger,
  owned: ReturnType<Host['changes']['ownedRecord']>,
): Promise<SetupReport> {
  const { found, wanted, unknown } = await withMetadata(host, options, log, async (source) => {
    const { interfaces, wait, deadline, settleMs } = options;
    const found = await discover(
      host,
      { interfaces, waitForDevices: wait, deadline, ...(settleMs !== undefined ? { settleMs } : {}) },
      log,
    );
    if (wait) return { found, ...(await fetchNicConfigsWaiting(source, found.nics, deadline, log)) };
    return { found, wanted: await fetchNicConfigs(source, found.nics, log), unknown: [] };
  });
  const { observation, primary } = found;
  const conflicts = findConflicts(
    wanted.map(({ nic, config }) => ({ nic: nic.name, ...config })),
    observation.links,
    observation.routes,
    primary.name,
  );
  if (conflicts.length > 0) {
    const what = conflicts.map(describeConflict).join('; ');
    throw new ExitError('metadata', `${what}; nothing was changed`, "check the ENI's private IP in the ECS console");
  }
  const nics: SetupNic[] = wanted.map(({ nic, config }) => {
    const metric = erdmaMetric(observation.routes, primary, config.address);
    const mine = recordedFor(owned.record, nic);
    const plan = planSetup(nic, config, metric, mine ? [mine] : [], host.promotesSecondaries(nic.name));
    const subnet = subnetMismatch(observation.links, primary.name, nic.name, config);
    return { nic, config, metric, plan, subnet };
  });

  const applied = await host.changes.changeLinks(nics, (n) => n.plan.actions);
  const done = applied.map(({ nic, config, outcome }) => ({
    name: nic.name,
    entry: { mac: nic.mac, address: config.address, prefix: config.prefix },
    result: outcome.result,
  }));
  const recordError = await recordOutcome(host, owned, applied, (after) => recordAfterSetup(owned.record, done, after));
  return {
    command: 'setup',
    primary: primary.name,
    // In discovery order: a NIC the metadata server never knew (--wait) among the others.
    nics: found.nics.map((n) => {
      const done = applied.find((a) => a.nic === n);
      return done ? report(done) : unknownReport(unknown.find((u) => u.nic === n) as UnknownNic<Nic>);
    }),
    ...(recordError ? { recordError } : {}),
  };
}
