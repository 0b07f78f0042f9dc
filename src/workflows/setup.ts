/**
 * setup: discover → fetch every NIC's metadata at once → validate all → plan all → apply. Nothing is changed
 * unless every answer for every chosen NIC is valid.
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
import { shorten, validateNicMetadata, type NicConfig, type RawNicMetadata } from '../core/nic-config.js';
import { planSetup } from '../core/nic-plan.js';
import { erdmaMetric } from '../core/topology.js';
import type { LinkInfo } from '../core/iproute-json.js';
import { MetadataClient, MetadataError, nicPath, NIC_KEYS } from '../host/metadata.js';
import { readOwned, writeOwned } from '../host/owned-state.js';
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
    return { found, configs: await fetchNicConfigs(client, found.nics, log) };
  });
  const { observation, primary, nics } = found;
  const plans = nics.map((nic) => {
    const config = configs.get(nic.name) as NicConfig;
    const metric = erdmaMetric(observation.routes, primary, config.address);
    return { nic, config, metric, plan: planSetup(nic, config, metric) };
  });

  const owned = runner.dryRun ? {} : readOwned();
  const outcomes = await applyPlans(runner, plans.map(({ plan }) => plan.actions));
  const reports: NicReport[] = [];
  for (const [i, { nic, config, metric, plan }] of plans.entries()) {
    const outcome = outcomes[i] as ApplyOutcome;
    const warnings = plan.foreign.map(
      (a) => `${nic.name} also carries ${a.local}/${a.prefixlen}, which the metadata server did not give (Terway? check its eni_tag_filter)`,
    );
    if (outcome.result === 'changed' || outcome.result === 'unchanged') {
      owned[nic.name] = { mac: nic.mac ?? '', address: config.address, prefix: config.prefix };
    }
    reports.push({
      name: nic.name,
      mac: nic.mac ?? '',
      ...config,
      metric,
      actions: describeAll(plan.actions),
      result: outcome.result,
      warnings,
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  }
  if (!runner.dryRun) writeOwned(owned);
  return { command: 'setup', dryRun: runner.dryRun, primary: primary.name, nics: reports };
}
