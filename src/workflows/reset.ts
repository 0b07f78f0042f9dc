/**
 * reset: take away what setup gave. Which address is ours comes from setup's record under /run; for a NIC
 * without a record (configured by the old script, say) the metadata server is asked. `--all` needs neither.
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { planReset, type OwnedAddress } from '../core/nic-plan.js';
import type { LinkInfo } from '../core/iproute-json.js';
import { observe, promotesSecondaries } from '../host/iproute.js';
import { openRecord } from '../host/owned-state.js';
import type { Runner } from '../host/runner.js';
import type { Logger } from '../ui/logger.js';
import { applyPlans, describeAll, type ApplyOutcome, type NicResult } from './apply.js';
import { discover } from './discover.js';
import { checkNicNames, fetchNicConfigs, saveRecord, withMetadataClient } from './setup.js';

export interface ResetOptions {
  interfaces: string[];
  all: boolean;
  metadataUrl: string;
  deadline: Deadline;
}

export interface ResetNicReport {
  name: string;
  mac: string;
  removed: string[];
  kept: string[];
  source: 'record' | 'metadata' | 'all';
  actions: string[];
  result: NicResult;
  error?: string;
}

export interface ResetReport {
  command: 'reset';
  dryRun: boolean;
  primary: string;
  nics: ResetNicReport[];
  /** Set when the NICs changed but setup's record could not be updated. */
  recordError?: string;
}

export async function runReset(runner: Runner, options: ResetOptions, log: Logger): Promise<ResetReport> {
  // The record is checked before anything else: a fault in it refuses the run with nothing changed.
  const owned = openRecord({ readOnly: runner.dryRun });
  const { primary, nics } = await discover(runner, { interfaces: options.interfaces, waitForDevices: false, deadline: options.deadline }, log);
  checkNicNames(nics);
  const ownedOf = new Map<string, { addresses: OwnedAddress[] | 'all'; source: ResetNicReport['source'] }>();
  const unrecorded: LinkInfo[] = [];
  for (const nic of nics) {
    const record = owned[nic.name];
    if (options.all) ownedOf.set(nic.name, { addresses: 'all', source: 'all' });
    else if (record && record.mac === nic.mac) ownedOf.set(nic.name, { addresses: [record], source: 'record' });
    else if (nic.ipv4.some((a) => a.scope === 'global')) unrecorded.push(nic);
    else ownedOf.set(nic.name, { addresses: [], source: 'record' });
  }
  if (unrecorded.length > 0) {
    log.verbose(`no setup record for ${unrecorded.map((n) => n.name).join(', ')}: asking the metadata server which address is ours`);
    try {
      const configs = await withMetadataClient({ metadataUrl: options.metadataUrl, deadline: options.deadline, wait: false }, log, (client) =>
        fetchNicConfigs(client, unrecorded, log),
      );
      for (const [name, config] of configs) ownedOf.set(name, { addresses: [config], source: 'metadata' });
    } catch (e) {
      if (!(e instanceof ExitError)) throw e;
      throw new ExitError(
        'metadata',
        `cannot tell which address on ${unrecorded.map((n) => n.name).join(', ')} is ours: no record from setup and ${e.message}`,
        'use --all to remove every global IPv4 address, as the old script did',
      );
    }
  }

  const plans = nics.map((nic) => {
    const { addresses, source } = ownedOf.get(nic.name) ?? { addresses: [], source: 'record' as const };
    return { nic, source, plan: planReset(nic, addresses, promotesSecondaries(nic.name)) };
  });
  const outcomes = await applyPlans(runner, plans.map(({ plan }) => plan.actions));
  // After a failed rollback the record follows what the NIC really carries.
  const anyFailed = outcomes.some((o) => o.result === 'failed') && !runner.dryRun;
  const after = anyFailed ? (await observe(runner)).links : undefined;
  const reports: ResetNicReport[] = [];
  for (const [i, { nic, source, plan }] of plans.entries()) {
    const outcome = outcomes[i] as ApplyOutcome;
    const record = owned[nic.name];
    const stillThere = (r: { address: string; prefix: number }): boolean =>
      (after ?? []).some(
        (l) => l.name === nic.name && l.ipv4.some((x) => x.local === r.address && x.prefixlen === r.prefix),
      );
    if (outcome.result === 'changed' || outcome.result === 'unchanged') delete owned[nic.name];
    else if (outcome.result === 'failed' && after && record && !stillThere(record)) delete owned[nic.name];
    if (plan.kept.length > 0) {
      log.warn(`${nic.name} keeps ${plan.kept.map((a) => `${a.local}/${a.prefixlen}`).join(', ')} (not ours) and stays up; --all removes them too`);
    }
    reports.push({
      name: nic.name,
      mac: nic.mac ?? '',
      removed: plan.actions.flatMap((a) => (a.kind === 'addr-del' ? [`${a.address}/${a.prefix}`] : [])),
      kept: plan.kept.map((a) => `${a.local}/${a.prefixlen}`),
      source,
      actions: describeAll(plan.actions),
      result: outcome.result,
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  }
  const recordError = runner.dryRun ? undefined : saveRecord(owned);
  const { dryRun } = runner;
  return { command: 'reset', dryRun, primary: primary.name, nics: reports, ...(recordError ? { recordError } : {}) };
}
