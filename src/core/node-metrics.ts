/**
 * What `asm-erdma metrics` exports, as Prometheus families (core/prometheus-exposition renders them): the
 * status checks as state sets, each eRDMA NIC's configured state, the SMC connections smcss sees, setup's last
 * outcome, the running kernel and this build. Pure: the facts come in gathered (workflows/metrics.ts).
 *
 * SMC families carry the labels of the scope they were read in (`SmcScope.labels`): the node's own network
 * namespace has none; a per-pod reading adds e.g. `{pod_namespace, pod}` without changing any name here.
 */
import type { LastSetup } from './owned-record.js';
import type { Check, CheckState } from './readiness.js';
import type { DiagSample, SmcScope } from './smcss.js';
import type { Family, Sample } from './prometheus-exposition.js';

export const CHECK_STATES: readonly CheckState[] = ['ok', 'warn', 'fail'];

export interface NicConfigured {
  ifname: string;
  mac: string;
  configured: boolean;
}

/** smcss was read (scopes), or could not be (why, logged; the metrics then say only that). */
export type SmcReading = { ok: true; scopes: SmcScope[] } | { ok: false; error: string };

export interface NodeMetricsInput {
  ready: boolean;
  checks: Check[];
  nics: NicConfigured[];
  smc: SmcReading;
  lastSetup: LastSetup | undefined;
  kernelRelease: string | undefined;
  build: { version: string; commit: string | null };
}

const gauge = (name: string, help: string, samples: Sample[]): Family => ({ name, help, type: 'gauge', samples });
const one = (value: number, labels: Record<string, string> = {}): Sample => ({ labels, value });
const bool = (b: boolean): number => (b ? 1 : 0);

/** Fallback connections per reason (the decoded name, `NAME/PEERNAME` when the peer sent its own). */
function byReason(sample: DiagSample): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of sample.reasons) {
    const reason = g.peerName ? `${g.name}/${g.peerName}` : g.name;
    counts.set(reason, (counts.get(reason) ?? 0) + g.count);
  }
  return counts;
}

function smcFamilies(smc: SmcReading): Family[] {
  const scrape = gauge(
    'asm_erdma_smc_scrape_success',
    '1 when smcss could be read; 0 when smc-tools, the smc module or smc_diag is missing (no SMC series then)',
    [one(bool(smc.ok))],
  );
  if (!smc.ok) return [scrape];
  const scopes = smc.scopes;
  return [
    scrape,
    gauge(
      'asm_erdma_smc_connections',
      'Connected SMC sockets by mode: smcr (over eRDMA) or fallback (fell back to TCP)',
      scopes.flatMap(({ labels, sample }) => [
        one(sample.smcr, { ...labels, mode: 'smcr' }),
        one(sample.fellBack, { ...labels, mode: 'fallback' }),
      ]),
    ),
    gauge(
      'asm_erdma_smc_fallback_connections',
      'SMC sockets that fell back to TCP, by decoded reason (SMC_CLC_DECL_* name; NAME/PEERNAME with the peer reason)',
      scopes.flatMap(({ labels, sample }) =>
        [...byReason(sample)].map(([reason, count]) => one(count, { ...labels, reason })),
      ),
    ),
    gauge(
      'asm_erdma_smc_listening_sockets',
      'SMC sockets in LISTEN state',
      scopes.map(({ labels, sample }) => one(sample.listening, labels)),
    ),
  ];
}

export function nodeMetricFamilies(m: NodeMetricsInput): Family[] {
  return [
    gauge('asm_erdma_ready', '1 when asm-erdma status says the node is ready for SMC over eRDMA (no check failed)', [
      one(bool(m.ready)),
    ]),
    gauge(
      'asm_erdma_check',
      'Each asm-erdma status check as a state set: 1 for its current state (ok, warn, fail), 0 for the others',
      m.checks.flatMap((c) => CHECK_STATES.map((state) => one(bool(c.state === state), { id: c.id, state }))),
    ),
    gauge(
      'asm_erdma_nic_configured',
      '1 when the eRDMA NIC is up with carrier and carries its metadata address (per setup record when unknown)',
      m.nics.map((n) => one(bool(n.configured), { ifname: n.ifname, mac: n.mac })),
    ),
    ...smcFamilies(m.smc),
    gauge(
      'asm_erdma_last_setup_timestamp_seconds',
      'When asm-erdma setup last ran on this node (Unix time; the record under /run is gone after a reboot)',
      m.lastSetup ? [one(m.lastSetup.at)] : [],
    ),
    gauge(
      'asm_erdma_last_setup_success',
      '1 when the last asm-erdma setup configured every NIC it was asked to, 0 when it failed',
      m.lastSetup ? [one(bool(m.lastSetup.success))] : [],
    ),
    gauge(
      'asm_erdma_kernel_info',
      'The running kernel release (value is always 1)',
      m.kernelRelease ? [one(1, { release: m.kernelRelease })] : [],
    ),
    gauge('asm_erdma_build_info', 'The asm-erdma version that wrote these metrics (value is always 1)', [
      one(1, { version: m.build.version, commit: m.build.commit ?? 'unknown' }),
    ]),
  ];
}

/**
 * Which eRDMA NICs carry what they should: status's own verdict (its `nic:<name>` check is ok) when the metadata
 * server answered; otherwise the address setup's record gave this very NIC (same MAC), up with carrier.
 */
export function nicsConfigured(
  nics: { name: string; mac: string; adminUp: boolean; carrier: boolean; addresses: string[] }[],
  checks: Check[],
  metadataKnown: boolean,
  recorded: (nic: { name: string; mac: string }) => string | undefined,
): NicConfigured[] {
  return nics.map((n) => {
    let configured: boolean;
    if (metadataKnown) configured = checks.find((c) => c.id === `nic:${n.name}`)?.state === 'ok';
    else {
      const want = recorded(n);
      configured = n.adminUp && n.carrier && want !== undefined && n.addresses.includes(want);
    }
    return { ifname: n.name, mac: n.mac, configured };
  });
}
