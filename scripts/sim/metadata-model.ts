/** Config, request log and analysis shared by the simulator's metadata server and the tests. */

export type TokenMode = 'none' | 'optional' | 'enforced';

export interface Fault {
  /** Applies to request paths containing this text ('' matches every path). */
  match: string;
  kind: 'status' | 'body' | 'hang' | 'burst';
  status?: number;
  body?: string;
  /** burst: how many requests for each matching path fail before it answers normally. */
  count?: number;
  /** status/burst: a Retry-After header to send with the failure (delay-seconds or an HTTP date). */
  retryAfter?: string;
  /** Only requests with this method (e.g. 'PUT' for the token endpoint); any method when absent. */
  method?: string;
  /** An outage of this length: the fault applies from the first request it matches until this many ms later. */
  forMs?: number;
}

export interface MetadataConfig {
  tokenMode: TokenMode;
  latencyMs: number;
  primaryMac: string;
  /** mac → key → value, e.g. "00:16:3e:00:00:01" → { "primary-ip-address": "192.168.0.11", … } */
  nics: Record<string, Record<string, string>>;
  faults: Fault[];
  log?: string;
}

export interface RequestLogLine {
  method: string;
  path: string;
  status: number;
  withToken: boolean;
  /** Server clock (ms) when the request arrived and when it was answered: see roundTripDepth. */
  arrivedAt: number;
  answeredAt: number;
}

/**
 * The number of sequential round trips in a run: a request that arrived after another was answered may have
 * waited for it, so depth(r) = 1 + the deepest request answered before r arrived.
 */
export function roundTripDepth(log: RequestLogLine[]): number {
  const sorted = [...log].sort((a, b) => a.arrivedAt - b.arrivedAt);
  const depth: number[] = [];
  for (const [i, r] of sorted.entries()) {
    let before = 0;
    for (let j = 0; j < i; j++)
      if ((sorted[j] as RequestLogLine).answeredAt <= r.arrivedAt) before = Math.max(before, depth[j] ?? 0);
    depth.push(before + 1);
  }
  return Math.max(0, ...depth);
}
