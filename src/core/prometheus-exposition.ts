/**
 * The Prometheus text exposition format (version 0.0.4), rendered from values: one HELP and one TYPE line per
 * family, then its samples. Names are checked against Prometheus's rules (a bad one is a bug here, so it
 * throws); label values and HELP text are escaped as the format demands, so any interface name, reason or
 * release string is safe to carry.
 */

export type MetricType = 'gauge' | 'counter' | 'untyped';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Label names starting with `__` are reserved for Prometheus itself. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name '${name}'`);
}

export function checkLabelName(name: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`invalid label name '${name}'`);
}

/** In a label value: backslash, double quote and line feed are escaped. */
export const escapeLabelValue = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** In HELP text: backslash and line feed (a quote needs no escape there). */
export const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  for (const [k] of entries) checkLabelName(k);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/**
 * The exposition text. A family with no sample is left out entirely (nothing is made up); two families with
 * one name, or two samples with the same labels in one family, are a bug and throw.
 */
export function renderExposition(families: Family[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of families) {
    checkMetricName(f.name);
    if (seen.has(f.name)) throw new Error(`metric family '${f.name}' rendered twice`);
    seen.add(f.name);
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    const series = new Set<string>();
    for (const s of f.samples) {
      const line = `${f.name}${formatLabels(s.labels)}`;
      if (series.has(line)) throw new Error(`duplicate series ${line}`);
      series.add(line);
      out.push(`${line} ${formatValue(s.value)}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
