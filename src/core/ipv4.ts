/** Pure IPv4 helpers: parsing and validating what the metadata server says before anything is applied. */

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Dotted quad → unsigned 32-bit number, or undefined when it is not a strict dotted IPv4 address. */
export function parseIPv4(text: string): number | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (const part of m.slice(1)) {
    // Leading zeros are rejected: inet_aton would read them as octal, so they are ambiguous.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** Netmask → prefix length, or undefined when not a contiguous mask (255.0.255.0 is not a netmask). */
export function netmaskToPrefix(mask: string): number | undefined {
  const value = parseIPv4(mask);
  if (value === undefined) return undefined;
  const inverted = ~value >>> 0;
  // A contiguous mask's host part is 2^k - 1: adding one leaves a single bit (or zero).
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function sameSubnet(a: number, b: number, prefix: number): boolean {
  const mask = prefixToMask(prefix);
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}
