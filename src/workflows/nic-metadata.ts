/**
 * Every chosen NIC's keys from the metadata server in one concurrent batch, validated before anything changes
 * (setup, reset without a record, status).
 */
import { ExitError } from '../exit-codes.js';
import type { Deadline } from '../core/deadline.js';
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
  const hint = 'check that the metadata server (--metadata-url) is reachable from this node';
  return new ExitError('metadata', `${where}${e.message}; nothing was changed`, hint);
}

/**
 * A metadata client for the length of `body`: its token round trip starts at once (overlapping whatever local
 * work body does first) and its requests and sockets are closed afterwards so the process can exit.
 */
export async function withMetadata<T>(
  host: Host,
  o: { metadataUrl: string; deadline: Deadline },
  log: Logger,
  body: (source: MetadataSource) => Promise<T>,
): Promise<T> {
  const source = host.metadata({ baseUrl: o.metadataUrl, deadline: o.deadline, trace: (l) => log.verbose(l) });
  source.prefetchToken();
  try {
    return await body(source);
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
  return nics.map((nic) => {
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
    return { nic, config: v.config };
  });
}
