/**
 * SMC fallback reasons: the kernel's SMC_CLC_DECL_* codes (net/smc/smc_clc.h) that `smcss` prints after
 * `TCP` for a connection that fell back, decoded to words an operator of an eRDMA node can act on.
 * The names and values are the kernel's; test/core/clc-decline.test.ts checks them against copies of the header.
 */

export interface DeclineReason {
  /** The kernel's name without the SMC_CLC_DECL_ prefix, e.g. NOSMCRDEV. */
  name: string;
  code: number;
  meaning: string;
  fix: string;
}

const STATUS = 'asm-erdma status on both nodes';
const SETUP = `${STATUS}; asm-erdma setup where a NIC is not ready`;
const KERNEL = 'run the same kernel line on both nodes (asm-erdma kernel check --min 5.10.134-17.3)';
const SMCD_ONLY = 'SMC-D (ISM) exists only on IBM Z; on ECS only SMC-R applies: check the peer is a Linux SMC-R node';

// [name, code, meaning, fix]
const TABLE: [string, number, string, string][] = [
  [
    'MEM',
    0x01010000,
    'not enough memory for the SMC buffers',
    'free memory on the node; check net.smc.wmem and net.smc.rmem',
  ],
  [
    'TIMEOUT_CL',
    0x02010000,
    'timed out waiting for the peer to confirm the RDMA link',
    `the eRDMA path between the nodes does not work: ${STATUS}; ` +
      'the security group must allow traffic between the eRDMA NICs',
  ],
  [
    'TIMEOUT_AL',
    0x02020000,
    'timed out adding a second RDMA link to the link group',
    `${STATUS}; the security group must allow traffic between the eRDMA NICs`,
  ],
  ['CNFERR', 0x03000000, 'configuration error', SETUP],
  [
    'PEERNOSMC',
    0x03010000,
    'the peer did not offer SMC (its socket is plain TCP)',
    'enable SMC at the peer: smcEnabled in the ASMMeshConfig and the annotation ' +
      'smc.asm.alibabacloud.com/enabled: "true" on BOTH workloads',
  ],
  ['IPSEC', 0x03020000, 'the connection uses IPsec, which SMC cannot carry', 'keep IPsec off the SMC traffic'],
  [
    'NOSMCDEV',
    0x03030000,
    'no SMC device (R or D) for the route to the peer: the eRDMA NIC is missing, down, ' +
      'or has no address in the subnet the connection uses',
    SETUP,
  ],
  ['NOSMCDDEV', 0x03030001, 'no SMC-D device found', SMCD_ONLY],
  [
    'NOSMCRDEV',
    0x03030002,
    'no SMC-R device for the route to the peer: the eRDMA NIC is missing, down, or has no ' +
      'address in the subnet the connection uses',
    SETUP,
  ],
  ['NOISM2SUPP', 0x03030003, 'the hardware has no ISMv2 support', SMCD_ONLY],
  ['NOV2EXT', 0x03030004, 'the peer sent no SMCv2 extension (it runs an older SMC)', KERNEL],
  ['NOV2DEXT', 0x03030005, 'the peer sent no SMC-Dv2 extension', SMCD_ONLY],
  ['NOSEID', 0x03030006, 'the peer sent no system EID', SMCD_ONLY],
  ['NOSMCD2DEV', 0x03030007, 'no SMC-Dv2 device found', SMCD_ONLY],
  [
    'NOUEID',
    0x03030008,
    'the peer sent no user EID matching ours (SMCv2 enterprise IDs differ)',
    'give both nodes the same UEIDs (smcd ueid / smcr ueid from smc-tools) or none',
  ],
  ['RELEASEERR', 0x03030009, 'the SMC release versions could not be agreed', KERNEL],
  ['MAXCONNERR', 0x0303000a, 'the peers could not agree on connections per link group', KERNEL],
  ['MAXLINKERR', 0x0303000b, 'the peers could not agree on links per link group', KERNEL],
  [
    'MODEUNSUPP',
    0x03040000,
    'the SMC modes do not match (one side SMC-R only, the other SMC-D only)',
    'both nodes need SMC-R: an eRDMA NIC configured on each (asm-erdma status)',
  ],
  ['RMBE_EC', 0x03050000, 'the peer has an eye catcher in its receive buffer (protocol error)', KERNEL],
  [
    'OPTUNSUPP',
    0x03060000,
    'the application set a socket option SMC cannot honour (TCP Fast Open)',
    'turn TCP Fast Open off for this application (or net.ipv4.tcp_fastopen) if it should use SMC',
  ],
  [
    'DIFFPREFIX',
    0x03070000,
    'the two ends are not in the same IP subnet (SMC-R v1 needs one subnet)',
    "put both nodes' eRDMA NICs in the same vSwitch subnet; the connection must use addresses of that subnet",
  ],
  ['GETVLANERR', 0x03080000, 'could not get the VLAN id of the IP device', 'do not run SMC traffic over a VLAN device'],
  ['ISMVLANERR', 0x03090000, 'could not register the VLAN id on the ISM device', SMCD_ONLY],
  [
    'NOACTLINK',
    0x030a0000,
    'no active SMC-R link in the link group (the eRDMA link went down)',
    `${STATUS} (nic:<name> carrier, erdma-devices ACTIVE)`,
  ],
  ['NOSRVLINK', 0x030b0000, 'the SMC-R link the server chose was not found on this side', STATUS],
  ['VERSMISMAT', 0x030c0000, 'the SMC versions of the two ends do not match', KERNEL],
  ['MAX_DMB', 0x030d0000, 'the SMC-D buffer limit was exceeded', SMCD_ONLY],
  ['NOROUTE', 0x030e0000, 'SMC-R v2: no route to the peer over an RDMA device', SETUP],
  ['NOINDIRECT', 0x030f0000, 'SMC-R v2: the peers disagree about a direct or indirect route', SETUP],
  ['SYNCERR', 0x04000000, 'the two ends lost step during the SMC handshake', `transient; if it repeats: ${KERNEL}`],
  ['PEERDECL', 0x05000000, 'the peer declined SMC', 'run asm-erdma diag on the peer node to see its reason'],
  ['INTERR', 0x09990000, 'internal error in the SMC stack', `${KERNEL}; report it with dmesg`],
  ['ERR_RTOK', 0x09990001, "internal error: handling the peer's RDMA token failed", `${STATUS}; report it with dmesg`],
  ['ERR_RDYLNK', 0x09990002, 'internal error: the RDMA link did not become ready', `${STATUS}; dmesg | grep -i erdma`],
  [
    'ERR_REGBUF',
    0x09990003,
    'internal error: registering the RDMA buffers failed (memory registration on the ' + 'eRDMA device)',
    'check dmesg for erdma errors; free memory; reload the erdma driver if it repeats',
  ],
];

export const DECLINE_REASONS: readonly DeclineReason[] = TABLE.map(([name, code, meaning, fix]) => ({
  name,
  code,
  meaning,
  fix,
}));

/** Older kernels (5.10) call 0x09990003 ERR_REGRMB. */
export const DECLINE_ALIASES: Readonly<Record<string, string>> = { ERR_REGRMB: 'ERR_REGBUF' };

const byCode = new Map(DECLINE_REASONS.map((r) => [r.code, r]));

/** The code's class: its top byte, as the kernel groups them. */
const CLASSES: Record<number, string> = {
  0x01: 'resource shortage',
  0x02: 'timeout',
  0x03: 'configuration error',
  0x04: 'synchronisation error',
  0x05: 'declined by the peer',
  0x09: 'internal error',
};

export const formatCode = (code: number): string => `0x${code.toString(16).padStart(8, '0')}`;

/** Decodes one code; a code this table does not know is decoded by its class and still gets a fix. */
export function decodeDecline(code: number): DeclineReason {
  const known = byCode.get(code);
  if (known) return known;
  if (code === 0) {
    return { name: 'NONE', code, meaning: 'no reason recorded (the connection never attempted SMC)', fix: STATUS };
  }
  const cls = CLASSES[code >>> 24] ?? 'unknown reason';
  return { name: 'UNKNOWN', code, meaning: `${cls} (code not in this asm-erdma's table)`, fix: `${STATUS}; dmesg` };
}
