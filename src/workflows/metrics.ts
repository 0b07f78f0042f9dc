/**
 * metrics: the node's state as Prometheus metrics. The checks are status's own (gatherStatus), the SMC sockets
 * diag's own reading (readSmc), read at the same time; setup's record and last-outcome note are only read.
 * Nothing here takes setup's lock or changes the node: the command gives it a dry-run host, and every tool
 * runs under the run's deadline like status's.
 */
import { nodeMetricFamilies, nicsConfigured, type NodeMetricsInput, type SmcReading } from '../core/node-metrics.js';
import { lastSetupPath, parseLastSetup, recordedFor, type LastSetup, type OwnedRecord } from '../core/owned-record.js';
import { formatKernel } from '../core/kernel-release.js';
import { renderExposition, type Family } from '../core/prometheus-exposition.js';
import { isUnknown, type NicFacts } from '../core/readiness.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { readSmc } from './diag.js';
import { gatherStatus, type StatusOptions } from './status.js';

export interface MetricsReport {
  families: Family[];
  /** The exposition text. */
  text: string;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function smcReading(host: Host, log: Logger): Promise<SmcReading> {
  try {
    return { ok: true, scopes: await readSmc(host) };
  } catch (e) {
    log.verbose(`smcss not read: ${message(e)}`);
    return { ok: false, error: message(e) };
  }
}

/** The record and the last-setup note, read only; an unusable run directory means neither is known. */
function setupState(host: Host, log: Logger): { record: OwnedRecord; last: LastSetup | undefined } {
  try {
    // Read-only on the dry-run host the command gives: the run directory is checked, never created or probed.
    const owned = host.changes.ownedRecord();
    const text = host.readFile(lastSetupPath(owned.path));
    return { record: owned.record, last: text === undefined ? undefined : parseLastSetup(text) };
  } catch (e) {
    log.verbose(`setup's record not read: ${message(e)}`);
    return { record: {}, last: undefined };
  }
}

/** The eRDMA NICs status looked at, and any other NIC setup's record names that is still there (same MAC). */
function nicList(n: NicFacts, record: OwnedRecord) {
  const names = [...n.erdmaNics, ...Object.keys(record).filter((k) => !n.erdmaNics.includes(k))];
  return names.flatMap((name) => {
    const l = n.links.find((x) => x.name === name);
    if (!l?.mac || (!n.erdmaNics.includes(name) && !recordedFor(record, { name, mac: l.mac }))) return [];
    return [
      {
        name,
        mac: l.mac,
        adminUp: l.adminUp,
        carrier: l.lowerUp ?? l.operstate === 'UP',
        addresses: l.ipv4.map((a) => `${a.local}/${a.prefixlen}`),
      },
    ];
  });
}

export async function runMetrics(
  host: Host,
  o: StatusOptions & { build: NodeMetricsInput['build'] },
  log: Logger,
): Promise<MetricsReport> {
  // Read-only by construction: a host whose executor would apply changes is a bug in the caller.
  if (host.changes.applies) throw new Error('metrics runs on a dry-run host only');
  const smc = smcReading(host, log);
  const { report, facts } = await gatherStatus(host, o, log);
  const { record, last } = setupState(host, log);
  const nics = isUnknown(facts.nics)
    ? []
    : nicsConfigured(nicList(facts.nics, record), report.checks, !isUnknown(facts.nics.desired), (nic) => {
        const r = recordedFor(record, nic);
        return r && `${r.address}/${r.prefix}`;
      });
  const families = nodeMetricFamilies({
    ready: report.ready,
    checks: report.checks,
    nics,
    smc: await smc,
    lastSetup: last,
    kernelRelease: isUnknown(facts.runningKernel) ? undefined : formatKernel(facts.runningKernel),
    build: o.build,
  });
  return { families, text: renderExposition(families) };
}
