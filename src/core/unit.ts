/** Pure rendering of the boot unit: what install-service writes and status compares against. */
import { RECORD_DIR } from './owned-record.js';
import { sandboxDirectives } from './unit-sandbox.js';

export const UNIT_NAME = 'asm-erdma.service';
export const LEGACY_UNIT_NAME = 'asm_erdma_eth_config.service';
export const DEFAULT_BOOT_TIMEOUT_S = 120;
/** systemd must not kill setup before setup's own deadline ends it cleanly with a clear message. */
const START_TIMEOUT_MARGIN_S = 30;

/** Read by the unit (EnvironmentFile=) and by setup itself: the operator's defaults live there, not in ExecStart. */
export const SYSCONFIG_FILE = '/etc/sysconfig/asm-erdma';

export interface UnitOptions {
  /**
   * The words that start this CLI at boot, absolute paths: `[/usr/bin/asm-erdma]` for the standalone binary,
   * `[node, .../bin/asm-erdma.js]` for an npm install. Never a PATH lookup.
   */
  exec: string[];
  /** setup's deadline at boot from the sysconfig file (default 120 s), for TimeoutStartSec. */
  bootTimeoutSeconds?: number;
  /** Only what install-service was given as flags is written into ExecStart (flags override the file). */
  timeoutSeconds?: number;
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

/** setup's sandbox: it may write only its record, which must outlive the unit (reset reads it later). */
export const setupSandbox = (): string => sandboxDirectives({ writablePaths: [RECORD_DIR] }).join('\n');

export function setupArgs(o: UnitOptions): string[] {
  const args = ['setup', '--wait'];
  if (o.timeoutSeconds !== undefined) args.push('--timeout', String(o.timeoutSeconds));
  if (o.metadataUrl) args.push('--metadata-url', o.metadataUrl);
  for (const i of o.interfaces) args.push('--interface', i);
  return args;
}

/** systemd's limit for the oneshot: setup's own deadline (flag, else the file's at install time) plus a margin. */
export function startTimeoutSeconds(o: UnitOptions): number {
  return (o.timeoutSeconds ?? o.bootTimeoutSeconds ?? DEFAULT_BOOT_TIMEOUT_S) + START_TIMEOUT_MARGIN_S;
}

export function renderUnit(o: UnitOptions): string {
  const exec = [...o.exec, ...setupArgs(o)].map(execWord).join(' ');
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
EnvironmentFile=-${SYSCONFIG_FILE}
# A NODE_OPTIONS meant for something else must not change how Node (or the standalone binary) starts.
UnsetEnvironment=NODE_OPTIONS
ExecStart=${exec}
TimeoutStartSec=${startTimeoutSeconds(o)}
${setupSandbox()}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The setup options in an installed unit's ExecStart (as renderUnit writes them), so status can re-render the
 * unit install-service would write now with the same options and compare. Undefined when it is not ours.
 */
export function parseInstalledOptions(unitText: string): Omit<UnitOptions, 'exec'> | undefined {
  const exec = /^ExecStart=(.*)$/m.exec(unitText)?.[1];
  if (!exec) return undefined;
  const words = [...exec.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string),
  );
  const at = words.indexOf('setup');
  if (at < 0) return undefined;
  const o: Omit<UnitOptions, 'exec'> = { interfaces: [] };
  const rest = words.slice(at + 1);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    const v = rest[i + 1];
    if (w === '--timeout' && v) o.timeoutSeconds = Number(v);
    else if (w === '--metadata-url' && v) o.metadataUrl = v;
    else if (w === '--interface' && v) o.interfaces.push(v);
    else continue;
    i++;
  }
  // Without --timeout in ExecStart, TimeoutStartSec followed the sysconfig file's timeout at install time.
  const start = /^TimeoutStartSec=([\d.]+)$/m.exec(unitText)?.[1];
  if (o.timeoutSeconds === undefined && start !== undefined) {
    o.bootTimeoutSeconds = Number(start) - START_TIMEOUT_MARGIN_S;
  }
  return o;
}
