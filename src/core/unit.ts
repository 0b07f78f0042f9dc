/** Pure rendering of the boot unit: what install-service writes and status compares against. */

export const UNIT_NAME = 'asm-erdma.service';
export const LEGACY_UNIT_NAME = 'asm_erdma_eth_config.service';
export const DEFAULT_BOOT_TIMEOUT_S = 120;
/** systemd must not kill setup before setup's own deadline ends it cleanly with a clear message. */
const START_TIMEOUT_MARGIN_S = 30;

export interface UnitOptions {
  nodePath: string;
  cliPath: string;
  timeoutSeconds: number;
  metadataUrl?: string;
  interfaces: string[];
}

/**
 * One ExecStart= word. systemd expands `%` specifiers and `$` variables even in quoted words, so both are
 * doubled; a word with anything beyond a safe path charset is double-quoted with C-style escapes.
 */
export function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function setupArgs(o: UnitOptions): string[] {
  const args = ['setup', '--wait', '--timeout', String(o.timeoutSeconds)];
  if (o.metadataUrl) args.push('--metadata-url', o.metadataUrl);
  for (const i of o.interfaces) args.push('--interface', i);
  return args;
}

export function renderUnit(o: UnitOptions): string {
  const exec = [o.nodePath, o.cliPath, ...setupArgs(o)].map(execWord).join(' ');
  return `# Written by asm-erdma install-service; re-run it rather than editing this file.
[Unit]
Description=asm-erdma: configure eRDMA NICs for ASM SMC-R acceleration
Wants=network-online.target
After=network-online.target
# Configure the NICs before pods start; Before= does not require kubelet to exist.
Before=kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${exec}
TimeoutStartSec=${o.timeoutSeconds + START_TIMEOUT_MARGIN_S}

[Install]
WantedBy=multi-user.target
`;
}
