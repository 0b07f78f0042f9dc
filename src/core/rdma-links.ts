/** Readers for `rdma -j link show` and its text form (iproute2 rdma/link.c). */
import { parseJsonArray, ToolOutputError } from './iproute-json.js';

export interface RdmaPort {
  device: string;
  port: number;
  state: string;
  netdev: string | undefined;
}

/** Newer iproute2 puts newlines between objects; the whole of stdout is still one JSON document. */
export function parseRdmaLinkJson(text: string): RdmaPort[] {
  const ports: RdmaPort[] = [];
  for (const e of parseJsonArray(text, 'rdma -j link show')) {
    if (typeof e !== 'object' || e === null) continue;
    const o = e as Record<string, unknown>;
    if (typeof o.ifname !== 'string') continue;
    ports.push({
      device: o.ifname,
      port: typeof o.port === 'number' ? o.port : 1,
      state: typeof o.state === 'string' ? o.state : 'UNKNOWN',
      netdev: typeof o.netdev === 'string' ? o.netdev : undefined,
    });
  }
  return ports;
}

/**
 * `link erdma_0/1 state ACTIVE physical_state LINK_UP netdev eth1 ` — one line per port. Any other non-empty
 * line means the tool is not what we think it is: "no device" read from garbage would be a wrong diagnosis.
 */
export function parseRdmaLinkText(text: string): RdmaPort[] {
  const ports: RdmaPort[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'link' || !words[1] || !/^[^/\s]+\/\d+$/.test(words[1])) {
      throw new ToolOutputError(`rdma link show printed a line that is not a port: '${line.trim().slice(0, 60)}'`);
    }
    const [device = '', port = '1'] = words[1].split('/');
    const field = (name: string): string | undefined => {
      const i = words.indexOf(name);
      return i >= 0 ? words[i + 1] : undefined;
    };
    ports.push({
      device,
      port: Number(port) || 1,
      state: field('state') ?? 'UNKNOWN',
      netdev: field('netdev'),
    });
  }
  return ports;
}

/** The distinct netdevs behind eRDMA ports, in first-seen order. */
export function erdmaNetdevs(ports: RdmaPort[]): string[] {
  return [...new Set(ports.flatMap((p) => (p.netdev ? [p.netdev] : [])))];
}
