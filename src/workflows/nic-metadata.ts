/**
 * Every chosen NIC's keys from the metadata server in one concurrent batch, validated before anything changes
 * (setup, reset without a record, status).
 */
import { ExitError } from '../exit-codes.js';
import { backoffMs, sleepUnlessAborted, type Deadline } from '../core/deadline.js';
import { shorten, validateNicMetadata, type NicConfig, type RawNicMetadata } from '../core/nic-config.js';
import type { Host, MetadataSource } from '../host/host.js';
import { nicPath, NIC_KEYS } from '../core/metadata-layout.js';
import { MetadataError } from '../host/host-errors.js';
import type { Logger } from '../ui/logger.js';

function metadataFailure(e: MetadataError, nicOfPath: (path: string) => string | undefined): ExitError {
  const nic = nicOfPath(e.path);
  const where = nic ? `${nic}: ` : '';
  if (e.failure === 'http' && e.status === 404) {
    const what = `${where}metadata has no ${e.path.split('/').pop()} (HTTP 404 for ${e.path}); nothing was changed`;
    return new ExitError('metadata', what, 'is this NIC an ENI of this instance?');
  }
  const hint = 'check that the metadata server at --metadata-url is reachable from this node';
  return new ExitError('metadata', `${where}${e.message}; nothing was changed`, hint);
}

/**
 * A metadata client for the length of `body`: its token round trip starts as soon as body's synchronous first
 * step has run (discover starts rdma and ip then), so it overlaps that local work, and its requests and sockets
 * are closed afterwards so the process can exit. Tools first: their start-up is the longer wait, and the first
 * request costs a few ms of loading and connecting that would otherwise delay them.
 */
export async function withMetadata<T>(
  host: Host,
  o: { metadataUrl: string; deadline: Deadline },
  log: Logger,
  body: (source: MetadataSource) => Promise<T>,
): Promise<T> {
  const source = host.metadata({ baseUrl: o.metadataUrl, deadline: o.deadline, trace: (l) => log.verbose(l) });
  let pending: Promise<T>;
  try {
    pending = body(source);
  } catch (e) {
    pending = Promise.reject(e);
  }
  source.prefetchToken();
  try {
    return await pending;
  } finally {
    source.close();
  }
}

/** Each NIC's validated configuration, in the order given; throws before any change on a bad answer. */
export async function fetchNicConfigs<N extends { name: string; mac: string }>(
  source: MetadataSource,
  nics: N[],
  log: Logger,
): Promise<{ nic: N; config: NicConfig }[]> {
  const pathOwner = new Map<string, string>();
  for (const nic of nics) for (const key of NIC_KEYS) pathOwner.set(nicPath(nic.mac, key), nic.name);
  let answers: Map<string, string>;
  try {
    answers = await log.spin('asking the metadata server…', () => source.getAll([...pathOwner.keys()]));
  } catch (e) {
    if (e instanceof MetadataError) throw metadataFailure(e, (p) => pathOwner.get(p));
    throw e;
  }
  return nics.map((nic) => ({ nic, config: configOf(nic, answers) }));
}

function configOf(nic: { name: string; mac: string }, answers: Map<string, string>): NicConfig {
  const answer = (key: (typeof NIC_KEYS)[number]): string => answers.get(nicPath(nic.mac, key)) ?? '';
  const raw: RawNicMetadata = {
    'primary-ip-address': answer('primary-ip-address'),
    netmask: answer('netmask'),
    gateway: answer('gateway'),
  };
  const v = validateNicMetadata(raw);
  if (!v.ok) {
    const what = `${nic.name}: metadata ${v.key} is invalid: '${shorten(v.value)}' (${v.reason})`;
    throw new ExitError('metadata', `${what}; nothing was changed`);
  }
  return v.config;
}

/** The end of the deadline kept for ip after the last 404 retry (as discover keeps it after settling). */
const RESERVE_MAX_MS = 5000;

/** A NIC the metadata server still did not know (HTTP 404) when the retries had to stop. */
export interface UnknownNic<N> {
  nic: N;
  error: string;
}

/**
 * Boot and hot-plug mode (--wait): the metadata service may learn of a just-attached ENI seconds after the
 * kernel does, so a NIC answered 404 is asked again (with backoff) until the deadline, less what ip needs;
 * then that NIC alone is given up on and the others go on. Any other failure or a bad answer still refuses
 * the whole run before any change, as fetchNicConfigs does.
 */
export async function fetchNicConfigsWaiting<N extends { name: string; mac: string }>(
  source: MetadataSource,
  nics: N[],
  deadline: Deadline,
  log: Logger,
): Promise<{ wanted: { nic: N; config: NicConfig }[]; unknown: UnknownNic<N>[] }> {
  const reserveMs = Math.min(RESERVE_MAX_MS, deadline.totalMs / 4);
  const stop = new AbortController();
  const askUntilKnown = async (nic: N): Promise<Map<string, string> | MetadataError> => {
    const paths = NIC_KEYS.map((key) => nicPath(nic.mac, key));
    for (let attempt = 0; ; attempt++) {
      try {
        return await source.getAll(paths);
      } catch (e) {
        if (!(e instanceof MetadataError && e.failure === 'http' && e.status === 404)) throw e;
        const left = deadline.remaining() - reserveMs;
        if (left <= 0) return e;
        if (attempt === 0)
          log.info(`${nic.name}: the metadata server does not know this NIC yet (HTTP 404); asking again…`);
        await sleepUnlessAborted(Math.min(backoffMs(attempt, 500, 3000), left), stop.signal);
        if (stop.signal.aborted) return e;
      }
    }
  };
  let asked: (Map<string, string> | MetadataError)[];
  try {
    asked = await log.spin('asking the metadata server…', () => Promise.all(nics.map(askUntilKnown)));
  } catch (e) {
    if (e instanceof MetadataError)
      throw metadataFailure(e, (p) => nics.find((n) => p.startsWith(nicPath(n.mac, '')))?.name);
    throw e;
  } finally {
    stop.abort();
  }
  const wanted: { nic: N; config: NicConfig }[] = [];
  const unknown: UnknownNic<N>[] = [];
  for (const [i, nic] of nics.entries()) {
    const answers = asked[i] as Map<string, string> | MetadataError;
    if (answers instanceof MetadataError) {
      const seconds = Math.round(deadline.totalMs / 1000);
      const error =
        `the metadata server still answers HTTP 404 for MAC ${nic.mac} after asking until the ${seconds} s ` +
        'deadline';
      unknown.push({ nic, error });
    } else {
      wanted.push({ nic, config: configOf(nic, answers) });
    }
  }
  return { wanted, unknown };
}
