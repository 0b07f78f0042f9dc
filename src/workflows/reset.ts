/**
 * reset: take away what setup gave. Which address is ours comes from setup's record under /run; for a NIC
 * without a record (configured by the old script, say) the metadata server is asked. `--all` needs neither.
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { describeAction, planReset, type OwnedAddress, type ResetPlan } from '../core/nic-plan.js';
import { recordAfterReset, recordedFor, type LinkResult } from '../core/owned-record.js';
import type { LinkOutcome } from '../host/host.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { discover, type Nic } from './discover.js';
import { fetchNicConfigs, withMetadata } from './nic-metadata.js';
import { recordOutcome } from './record.js';

export interface ResetOptions {
  interfaces: string[];
  all: boolean;
  metadataUrl: string;
  deadline: Deadline;
}

type Source = 'record' | 'metadata' | 'all';

export interface ResetNicReport {
  name: string;
  mac: string;
  removed: string[];
  kept: string[];
  source: Source;
  actions: string[];
  result: LinkResult;
  error?: string;
}

export interface ResetReport {
  command: 'reset';
  primary: string;
  nics: ResetNicReport[];
  /** Set when the NICs changed but setup's record could not be updated. */
  recordError?: string;
}

interface ResetNic {
  nic: Nic;
  source: Source;
  plan: ResetPlan;
}

interface Ours {
  addresses: OwnedAddress[] | 'all';
  source: Source;
}

/** Which addresses on each NIC are ours; NICs with a global address and no record are asked of the metadata server. */
async function whatIsOurs(
  host: Host,
  nics: Nic[],
  owned: ReturnType<Host['changes']['ownedRecord']>,
  o: ResetOptions,
  log: Logger,
) {
  const ours = new Map<string, Ours>();
  const unrecorded: Nic[] = [];
  for (const nic of nics) {
    const record = recordedFor(owned.record, nic);
    if (o.all) ours.set(nic.name, { addresses: 'all', source: 'all' });
    else if (record) ours.set(nic.name, { addresses: [record], source: 'record' });
    else if (nic.ipv4.some((a) => a.scope === 'global')) unrecorded.push(nic);
    else ours.set(nic.name, { addresses: [], source: 'record' });
  }
  if (unrecorded.length === 0) return ours;
  const names = unrecorded.map((n) => n.name).join(', ');
  log.verbose(`no setup record for ${names}: asking the metadata server which address is ours`);
  try {
    const configs = await withMetadata(host, o, log, (source) => fetchNicConfigs(source, unrecorded, log));
    for (const { nic, config } of configs) ours.set(nic.name, { addresses: [config], source: 'metadata' });
  } catch (e) {
    if (!(e instanceof ExitError)) throw e;
    throw new ExitError(
      'metadata',
      `cannot tell which address on ${names} is ours: no record from setup and ${e.message}`,
      'use --all to remove every global IPv4 address, as the old script did',
    );
  }
  return ours;
}

function report({ nic, source, plan, outcome }: ResetNic & { outcome: LinkOutcome }): ResetNicReport {
  return {
    name: nic.name,
    mac: nic.mac,
    removed: plan.actions.flatMap((a) => (a.kind === 'addr-del' ? [`${a.address}/${a.prefix}`] : [])),
    kept: plan.kept.map((a) => `${a.local}/${a.prefixlen}`),
    source,
    actions: plan.actions.map(describeAction),
    result: outcome.result,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

export async function runReset(host: Host, options: ResetOptions, log: Logger): Promise<ResetReport> {
  // The privilege, then the lock, then the work; the executor knows whether this run needs the first two.
  host.changes.requirePrivilege('net-admin', 'reset');
  const onWait = () => log.info('another asm-erdma run is in progress; waiting for it…');
  return host.changes.exclusively(options.deadline, onWait, () => resetLocked(host, options, log));
}

async function resetLocked(host: Host, options: ResetOptions, log: Logger): Promise<ResetReport> {
  // The record is checked before anything else: a fault in it refuses the run with nothing changed.
  const owned = host.changes.ownedRecord();
  const discoverOptions = { interfaces: options.interfaces, waitForDevices: false, deadline: options.deadline };
  const { primary, nics } = await discover(host, discoverOptions, log);
  const ours = await whatIsOurs(host, nics, owned, options, log);
  const plans = nics.map((nic): ResetNic => {
    const { addresses, source }: Ours = ours.get(nic.name) ?? { addresses: [], source: 'record' };
    return { nic, source, plan: planReset(nic, addresses, host.promotesSecondaries(nic.name)) };
  });
  const applied = await host.changes.changeLinks(plans, (p) => p.plan.actions);
  for (const { nic, plan } of plans) {
    if (plan.kept.length > 0) {
      const kept = plan.kept.map((a) => `${a.local}/${a.prefixlen}`).join(', ');
      log.warn(`${nic.name} keeps ${kept} (not ours) and stays up; --all removes them too`);
    }
  }
  const done = applied.map(({ nic, outcome }) => ({ name: nic.name, result: outcome.result }));
  const recordError = await recordOutcome(host, owned, applied, (after) => recordAfterReset(owned.record, done, after));
  return {
    command: 'reset',
    primary: primary.name,
    nics: applied.map(report),
    ...(recordError ? { recordError } : {}),
  };
}
