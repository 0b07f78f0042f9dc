/**
 * Stand-in for iproute2's `rdma` (there is no RDMA netlink here). It prints what `rdma [-j] link show` prints
 * for the namespace's real links: a link whose alias is `erdma_N` is an eRDMA netdev, and its port state
 * follows the netdev as the erdma driver's does (down → DOWN/DISABLED).
 *   SIM_RDMA_FAIL=netlink  no RDMA netlink: the real tool's stderr line, exit 1
 *   SIM_RDMA_NO_JSON=1     an old build that ignores -j and prints text
 */
import { execFileSync } from 'node:child_process';

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  ifalias?: string;
}

const args = process.argv.slice(2);
if (process.env.SIM_RDMA_FAIL === 'netlink') {
  process.stderr.write('Failed to open NETLINK_RDMA socket\n');
  process.exit(1);
}
const json = (args.includes('-j') || args.includes('-json')) && process.env.SIM_RDMA_NO_JSON !== '1';
const words = args.filter((a) => !a.startsWith('-'));
if (words[0] !== 'link' || (words[1] !== undefined && words[1] !== 'show')) {
  process.stderr.write(`Object "${words[0] ?? ''}" is unknown, try "rdma help".\n`);
  process.exit(1);
}

const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as IpLink[];
const ports = links
  .filter((l) => /^erdma_\d+$/.test(l.ifalias ?? ''))
  .sort((a, b) => Number(a.ifalias?.slice(6)) - Number(b.ifalias?.slice(6)))
  .map((l) => {
    const active = (l.flags ?? []).includes('UP') && (l.flags ?? []).includes('LOWER_UP');
    return {
      ifindex: Number(l.ifalias?.slice(6)),
      ifname: l.ifalias ?? '',
      port: 1,
      state: active ? 'ACTIVE' : 'DOWN',
      physical_state: active ? 'LINK_UP' : 'DISABLED',
      netdev: l.ifname,
      netdev_index: l.ifindex,
    };
  });

if (json) {
  // Newer iproute2 separates the objects with newlines; the whole output is still one JSON document.
  process.stdout.write(`[${ports.map((p) => JSON.stringify(p)).join(',\n')}]\n`);
} else {
  for (const p of ports) {
    process.stdout.write(`link ${p.ifname}/${p.port} state ${p.state} physical_state ${p.physical_state} netdev ${p.netdev} \n`);
  }
}
