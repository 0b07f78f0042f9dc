/**
 * setup: discover → fetch every NIC's metadata at once → validate all → plan all → apply. Nothing is changed
 * unless every answer for every chosen NIC is valid.
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { shorten, validateNicMetadata, type NicConfig, type RawNicMetadata } from '../core/nic-config.js';
import { planSetup } from '../core/nic-plan.js';
import { erdmaMetric } from '../core/topology.js';
import { describeConflict, findConflicts } from '../core/address-conflicts.js';
import { invalidIfNameReason } from '../core/ifname.js';
import type { LinkInfo } from '../core/iproute-json.js';
import { observe, promotesSecondaries } from '../host/iproute.js';
import { MetadataClient, MetadataError, nicPath, NIC_KEYS } from '../host/metadata.js';
import { openRecord, recordPath, writeOwned, type OwnedRecord } from '../host/owned-state.js';
import type { Runner } from '../host/runner.js';
import type { Logger } from '../ui/logger.js';
import { applyPlans, describeAll, type ApplyOutcome, type NicResult } from './apply.js';
import { discover } from './discover.js';

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
  address: string;
  prefix: number;
  gateway: string;
  metric: number;
  /** Addresses setup's record gave this NIC that metadata no longer gives: replaced in this run. */
  stale: string[];
  actions: string[];
  result: NicResult;
  warnings: string[];
  error?: string;
}

export interface SetupReport {
  command: 'setup';
  dryRun: boolean;
  primary: string;
  nics: NicReport[];
  /** Set when the NICs changed but setup's record could not be updated (reset then asks the metadata server). */
  recordError?: string;
}

/** Names come from rdma and ip; one the kernel could not have means a broken tool, and is never planned with. */
export function checkNicNames(nics: LinkInfo[]): void {
  for (const nic of nics) {
    const reason = invalidIfNameReason(nic.name);
    if (reason) {
      const what = `rdma/ip name a NIC ${JSON.stringify(nic.name)}, which is not a valid interface name: ${reason}`;
      throw new ExitError('missingTool', `${what}; nothing was changed`, 'check the rdma and ip tools on this node');
    }
  }
}

/**
 * Writes the record after the NICs changed. A failure here must not hide the report: it is returned, and the
 * command exits 6 after printing what changed.
 */
export function saveRecord(record: OwnedRecord): string | undefined {
  try {
    writeOwned(record);
    return undefined;
  } catch (e) {
    return `could not write ${recordPath()}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

export function metadataFailure(e: MetadataError, nicOfPath: (path: string) => string | undefined): ExitError {
  const nic = nicOfPath(e.path);
  const where = nic ? `${nic}: ` : '';
  if (e.failure === 'http' && e.status === 404) {
    return new ExitError('metadata', `${where}metadata has no ${e.path.split('/').pop()} (HTTP 404 for ${e.path}); nothing was changed`, 'is this NIC an ENI of this instance?');
  }
  return new ExitError('metadata', `${where}${e.message}; nothing was changed`, 'check that the metadata server (--metadata-url) is reachable from this node');
}

/** Fetches and validates every NIC's keys in one concurrent batch; throws before any change on a bad answer. */
/**
 * A metadata client for the length of `body`: its token round trip starts at once (overlapping whatever local
 * work body does first) and its keep-alive sockets are closed afterwards so the process can exit.
 */
export async function withMetadataClient<T>(
  options: Pick<SetupOptions, 'metadataUrl' | 'deadline' | 'wait'>,
  log: Logger,
  body: (client: MetadataClient) => Promise<T>,
): Promise<T> {
  const client = new MetadataClient({ baseUrl: options.metadataUrl, deadline: options.deadline, trace: (l) => log.verbose(l) });
  client.prefetchToken();
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

export async function fetchNicConfigs(client: MetadataClient, nics: LinkInfo[], log: Logger): Promise<Map<string, NicConfig>> {
  const pathOwner = new Map<string, string>();
  for (const nic of nics) for (const key of NIC_KEYS) pathOwner.set(nicPath(nic.mac ?? '', key), nic.name);
  let answers: Map<string, string>;
  try {
    answers = await log.spin('asking the metadata server…', () => client.getAll([...pathOwner.keys()]));
  } catch (e) {
    if (e instanceof MetadataError) throw metadataFailure(e, (p) => pathOwner.get(p));
    throw e;
  }
  const configs = new Map<string, NicConfig>();
  for (const nic of nics) {
    const raw = Object.fromEntries(NIC_KEYS.map((k) => [k, answers.get(nicPath(nic.mac ?? '', k)) ?? ''])) as unknown as RawNicMetadata;
    const v = validateNicMetadata(raw);
    if (!v.ok) {
      throw new ExitError('metadata', `${nic.name}: metadata ${v.key} is invalid: '${shorten(v.value)}' (${v.reason}); nothing was changed`);
    }
    configs.set(nic.name, v.config);
  }
  return configs;
}

export async function runSetup(runner: Runner, options: SetupOptions, log: Logger): Promise<SetupReport> {
  // The record is checked before anything else: a fault in it refuses the run with nothing changed.
  const owned = openRecord({ readOnly: runner.dryRun });
  const { found, configs } = await withMetadataClient(options, log, async (client) => {
    const found = await discover(
      runner,
      {
        interfaces: options.interfaces,
        waitForDevices: options.wait,
        deadline: options.deadline,
        ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
      },
      log,
    );
    checkNicNames(found.nics);
    return { found, configs: await fetchNicConfigs(client, found.nics, log) };
  });
  const { observation, primary, nics } = found;
  const wanted = nics.map((nic) => ({ nic, config: configs.get(nic.name) as NicConfig }));
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
  const plans = wanted.map(({ nic, config }) => {
    const metric = erdmaMetric(observation.routes, primary, config.address);
    const record = owned[nic.name];
    // Only an entry for this very NIC (same name and MAC) says which address setup gave it.
    const mine = record && record.mac === nic.mac ? [record] : [];
    return { nic, config, metric, plan: planSetup(nic, config, metric, mine, promotesSecondaries(nic.name)) };
  });

  const outcomes = await applyPlans(runner, plans.map(({ plan }) => plan.actions));
  // After a failed rollback the record follows what the NIC really carries.
  const anyFailed = outcomes.some((o) => o.result === 'failed') && !runner.dryRun;
  const after = anyFailed ? (await observe(runner)).links : undefined;
  const reports: NicReport[] = [];
  for (const [i, { nic, config, metric, plan }] of plans.entries()) {
    const outcome = outcomes[i] as ApplyOutcome;
    const warnings = plan.foreign.map(
      (a) => `${nic.name} also carries ${a.local}/${a.prefixlen}, which the metadata server did not give (Terway? check its eni_tag_filter)`,
    );
    const entry = { mac: nic.mac ?? '', address: config.address, prefix: config.prefix };
    if (outcome.result === 'changed' || outcome.result === 'unchanged') owned[nic.name] = entry;
    else if (outcome.result === 'failed' && after) {
      const carries = (a: { address: string; prefix: number }): boolean =>
        after.some((l) => l.name === nic.name && l.ipv4.some((x) => x.local === a.address && x.prefixlen === a.prefix));
      const old = owned[nic.name];
      if (carries(entry)) owned[nic.name] = entry;
      else if (old && !carries(old)) delete owned[nic.name];
    }
    reports.push({
      name: nic.name,
      mac: nic.mac ?? '',
      ...config,
      metric,
      stale: plan.stale.map((a) => `${a.local}/${a.prefixlen}`),
      actions: describeAll(plan.actions),
      result: outcome.result,
      warnings,
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  }
  const recordError = runner.dryRun ? undefined : saveRecord(owned);
  const { dryRun } = runner;
  return { command: 'setup', dryRun, primary: primary.name, nics: reports, ...(recordError ? { recordError } : {}) };
}
