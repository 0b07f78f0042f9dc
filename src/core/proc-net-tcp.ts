/**
 * Listening TCP sockets from /proc/net/tcp and /proc/net/tcp6 (read as files: no `ss` process). Addresses
 * are hex in the kernel's byte order, which is little-endian on the x86_64 and aarch64 nodes this runs on.
 */

export interface Listener {
  address: string;
  port: number;
}

const TCP_LISTEN = '0A';

function ipv4(hex: string): string {
  const bytes = hex.match(/../g) ?? [];
  return bytes
    .map((b) => parseInt(b, 16))
    .reverse()
    .join('.');
}

function ipv6(hex: string): string {
  // Four 32-bit words, each in host (little-endian) order.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse());
  const groups = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(parseInt(`${bytes[i]}${bytes[i + 1]}`, 16).toString(16));
  // The longest run of zero groups (two or more) becomes '::'.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.len < 2) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** Listeners in one /proc/net/tcp or tcp6 text (the header line and malformed lines are skipped). */
export function parseListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (!local || f[3] !== TCP_LISTEN) continue;
    const m = /^([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})$/i.exec(local);
    if (!m) continue;
    const addr = m[1] as string;
    const address = addr.length === 8 ? ipv4(addr) : ipv6(addr);
    out.push({ address, port: parseInt(m[2] as string, 16) });
  }
  return out;
}
