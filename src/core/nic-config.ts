/** Validation of one NIC's metadata answers: everything is checked before any NIC is touched. */
import { formatIPv4, netmaskToPrefix, parseIPv4, prefixToMask, sameSubnet } from './ipv4.js';

export interface RawNicMetadata {
  'primary-ip-address': string;
  netmask: string;
  gateway: string;
}

export interface NicConfig {
  address: string;
  prefix: number;
  gateway: string;
}

export type Validation =
  | { ok: true; config: NicConfig }
  | { ok: false; key: keyof RawNicMetadata; value: string; reason: string };

/** Shortens a value for a one-line error: an HTML error page must not flood the terminal. */
export function shorten(value: string, max = 40): string {
  const oneLine = value.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '(empty)';
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

export function validateNicMetadata(raw: RawNicMetadata): Validation {
  const addressText = raw['primary-ip-address'].trim();
  const address = parseIPv4(addressText);
  if (address === undefined) return bad('primary-ip-address', raw['primary-ip-address'], 'not a dotted IPv4 address');
  const prefix = netmaskToPrefix(raw.netmask.trim());
  if (prefix === undefined) return bad('netmask', raw.netmask, 'not a contiguous IPv4 netmask');
  if (prefix === 0 || prefix > 30) return bad('netmask', raw.netmask, 'a NIC subnet mask must be /1../30');
  const host = (address & ~prefixToMask(prefix)) >>> 0;
  if (host === 0 || host === ~prefixToMask(prefix) >>> 0) {
    return bad(
      'primary-ip-address',
      raw['primary-ip-address'],
      `is the network or broadcast address of its /${prefix}`,
    );
  }
  const gatewayText = raw.gateway.trim();
  const gateway = parseIPv4(gatewayText);
  if (gateway === undefined) return bad('gateway', raw.gateway, 'not a dotted IPv4 address');
  if (!sameSubnet(address, gateway, prefix)) {
    return bad('gateway', raw.gateway, `not in the subnet of ${addressText}/${prefix}`);
  }
  return { ok: true, config: { address: formatIPv4(address), prefix, gateway: formatIPv4(gateway) } };
}

function bad(key: keyof RawNicMetadata, value: string, reason: string): Validation {
  return { ok: false, key, value, reason };
}
