/**
 * Reads what smc-tools' `smcss -a -W` prints (smcss.c: State, UID, Inode, Local Address, Peer Address, Intf,
 * Mode; a fallen-back socket shows `TCP 0x<reason>` or `TCP 0x<reason>/0x<peer diagnosis>`) and sums it up:
 * connections over SMC-R, and those that fell back to TCP grouped by reason, each decoded with a fix.
 * INIT lines stop after the inode, LISTEN lines after the local address, CLOSED lines after the interface.
 */
import { decodeDecline, formatCode } from './clc-decline.js';
import { ToolOutputError } from './iproute-json.js';

export type SmcMode = 'SMCR' | 'SMCD' | 'TCP';

export interface SmcSocket {
  state: string;
  peer: string | undefined;
  mode: SmcMode | undefined;
  /** Fallback reason (SMC_CLC_DECL_*) of a TCP-mode socket, when the kernel reported one. */
  reason: number | undefined;
  /** The peer's own decline reason, when it sent one. */
  peerReason: number | undefined;
}

const HEADER = /^State\s+UID\s+Inode\s+Local Address\s+Peer Address\s+Intf\s+Mode\b/;

export function parseSmcss(text: string): SmcSocket[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const [header, ...rows] = lines;
  if (header === undefined || !HEADER.test(header)) {
    throw new ToolOutputError(`smcss printed no socket table (got: ${(header ?? '').trim().slice(0, 60)})`);
  }
  return rows.map((row) => {
    const f = row.trim().split(/\s+/);
    const [state = '', , , , peer, , mode, reasons] = f;
    const known = mode === 'SMCR' || mode === 'SMCD' || mode === 'TCP' ? mode : undefined;
    const codes = known === 'TCP' && reasons ? /^0x([0-9a-f]{1,8})(?:\/0x([0-9a-f]{1,8}))?$/i.exec(reasons) : null;
    return {
      state,
      peer,
      mode: known,
      reason: codes?.[1] !== undefined ? parseInt(codes[1], 16) : undefined,
      peerReason: codes?.[2] !== undefined ? parseInt(codes[2], 16) : undefined,
    };
  });
}

/** `192.168.0.12:8080` → `192.168.0.12`; `::ffff:192.168.0.12:8080` → `::ffff:192.168.0.12`. */
export const hostOf = (endpoint: string): string => endpoint.replace(/:\d+$/, '');

export interface PeerCount {
  address: string;
  count: number;
}

export interface FallbackGroup {
  /** `0x03030002`, or `0x05000000/0x03010000` when the peer sent its own reason. */
  code: string;
  name: string;
  peerName: string | null;
  meaning: string;
  fix: string;
  count: number;
  peers: PeerCount[];
}

export interface DiagSample {
  at: string;
  /** Connected SMC sockets (every state but LISTEN, INIT and CLOSED). */
  connections: number;
  smcr: number;
  smcd: number;
  fellBack: number;
  listening: number;
  reasons: FallbackGroup[];
}

/** One reading (a sample) and the labels that say where it was taken (none: the node's own network namespace). */
export interface SmcScope {
  labels: Record<string, string>;
  sample: DiagSample;
}

export function summarize(sockets: SmcSocket[], at: Date): DiagSample {
  const connected = sockets.filter((s) => s.mode !== undefined && s.state !== 'LISTEN' && s.state !== 'INIT');
  const groups = new Map<string, { group: FallbackGroup; peers: Map<string, number> }>();
  for (const s of connected.filter((c) => c.mode === 'TCP')) {
    const code = s.reason === undefined ? 'unknown' : formatCode(s.reason);
    const key = s.peerReason ? `${code}/${formatCode(s.peerReason)}` : code;
    let entry = groups.get(key);
    if (!entry) {
      entry = { group: describe(key, s.reason, s.peerReason), peers: new Map() };
      groups.set(key, entry);
    }
    entry.group.count++;
    const address = s.peer ? hostOf(s.peer) : 'unknown';
    entry.peers.set(address, (entry.peers.get(address) ?? 0) + 1);
  }
  const reasons = [...groups.values()]
    .map(({ group, peers }) => ({
      ...group,
      peers: byCount([...peers].map(([address, count]) => ({ address, count }))),
    }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  const count = (mode: SmcMode): number => connected.filter((s) => s.mode === mode).length;
  return {
    at: at.toISOString(),
    connections: connected.length,
    smcr: count('SMCR'),
    smcd: count('SMCD'),
    fellBack: count('TCP'),
    listening: sockets.filter((s) => s.state === 'LISTEN').length,
    reasons,
  };
}

const byCount = (peers: PeerCount[]): PeerCount[] =>
  peers.sort((a, b) => b.count - a.count || a.address.localeCompare(b.address));

function describe(code: string, reason: number | undefined, peerReason: number | undefined): FallbackGroup {
  const group = (name: string, peerName: string | null, meaning: string, fix: string): FallbackGroup => ({
    code,
    name,
    peerName,
    meaning,
    fix,
    count: 0,
    peers: [],
  });
  if (reason === undefined) {
    return group(
      'UNKNOWN',
      null,
      'the kernel reported no fallback reason (an smc_diag without reason codes: old kernel)',
      'asm-erdma status on both nodes',
    );
  }
  const main = decodeDecline(reason);
  if (!peerReason) return group(main.name, null, main.meaning, main.fix);
  // The peer's diagnosis is from its own side: its "peer" is this node.
  const peer = decodeDecline(peerReason);
  const meaning = `${main.meaning}; its reason, seen from the peer: ${peer.meaning}`;
  return group(main.name, peer.name, meaning, `on the peer node: ${peer.fix}`);
}
