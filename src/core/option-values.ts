/**
 * Validation of the values an operator gives, as flags or in /etc/sysconfig/asm-erdma: one set of rules for
 * both. Each answers the value, or why it is wrong and what a right one looks like.
 */
import { invalidIfNameReason } from './ifname.js';
import { parseKernelRelease, type KernelRelease } from './kernel-release.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string; hint: string };

const bad = <T>(reason: string, hint: string): Checked<T> => ({ ok: false, reason, hint });

/** A deadline: above 0, at most an hour. */
export function checkSeconds(text: string, example = '30'): Checked<number> {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n > 0) || n > 3600) {
    return bad('must be a number of seconds above 0 and at most 3600', `e.g. ${example}`);
  }
  return { ok: true, value: n };
}

/** A wait that may be 0 (settle time): 0 to `max` seconds. */
export function checkSecondsOrZero(text: string, example = '2', max = 3600): Checked<number> {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n >= 0) || n > max) {
    return bad(`must be a number of seconds from 0 to ${max}`, `e.g. ${example}`);
  }
  return { ok: true, value: n };
}

/** Linux interface names, by the kernel's own rule (core/ifname: dev_valid_name, 15 bytes). */
export function checkInterfaceName(text: string): Checked<string> {
  if (invalidIfNameReason(text) !== undefined) {
    return bad(`'${text}' is not a valid interface name`, 'e.g. eth1: 1 to 15 characters, no /, : or spaces');
  }
  return { ok: true, value: text };
}

/** Several names separated by spaces or commas ("eth1 eth2"); empty means every eRDMA NIC. */
export function checkInterfaceList(text: string): Checked<string[]> {
  // A Set, not includes(): a file with a million names must not take a quadratic time to say what is wrong.
  const names = new Set<string>();
  for (const word of text.split(/[\s,]+/)) {
    if (word === '') continue;
    const c = checkInterfaceName(word);
    if (!c.ok) return c;
    names.add(c.value);
  }
  return { ok: true, value: [...names] };
}

/** Only scheme, host and port: the client appends the metadata paths itself. */
export function checkMetadataUrl(text: string): Checked<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad(`'${text}' is not a URL`, 'e.g. http://100.100.100.200');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return bad(`'${text}' is not an http:// or https:// URL`, 'e.g. http://100.100.100.200');
  // Refused, never silently dropped (and never echoed back).
  if (url.username || url.password)
    return bad('must not contain credentials (user:password@)', 'the ECS metadata server takes none');
  if (url.pathname !== '/' || url.search || url.hash)
    return bad(
      `'${text}' has a path, query or fragment`,
      'give only scheme, host and port, e.g. http://100.100.100.200',
    );
  return { ok: true, value: url.origin };
}

export function checkKernelRelease(text: string): Checked<KernelRelease> {
  const k = parseKernelRelease(text);
  if (!k) return bad(`'${text}' is not a kernel release`, 'e.g. 5.10.134-17.3; asm-erdma kernel list shows them');
  return { ok: true, value: k };
}
