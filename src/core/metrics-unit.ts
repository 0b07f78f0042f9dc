/**
 * The metrics units `install-service --metrics` writes: a oneshot that runs `asm-erdma metrics --textfile DIR`
 * in the boot unit's sandbox with only DIR writable, plus what entering the pods' network namespaces needs, and
 * a timer that starts it every minute, each node at its own random offset so a fleet does not ask its metadata
 * server all in the same second.
 */
import { join } from 'node:path/posix';
import { SYSCONFIG_FILE, execWord } from './unit.js';
import { sandboxDirectives } from './unit-sandbox.js';

export const METRICS_SERVICE_NAME = 'asm-erdma-metrics.service';
export const METRICS_TIMER_NAME = 'asm-erdma-metrics.timer';
/** node_exporter's textfile directory as Debian and the upstream docs set it up. */
export const DEFAULT_TEXTFILE_DIR = '/var/lib/node_exporter/textfile_collector';
export const METRICS_INTERVAL_S = 60;
/** metrics' own default deadline; systemd waits a margin longer so metrics ends itself with a clear message. */
const METRICS_TIMEOUT_S = 10;
const START_TIMEOUT_MARGIN_S = 20;

/**
 * A textfile directory: absolute, and only characters a unit file and a mount path take as they are (no
 * spaces, quotes, `%` specifiers or `$` variables); undefined when fine, else what is wrong.
 */
export function textfileDirProblem(dir: string): string | undefined {
  if (!dir.startsWith('/')) return 'must be an absolute path';
  if (!/^[A-Za-z0-9_@+=:,./-]+$/.test(dir)) return 'may hold only letters, digits and _@+=:,./- (no spaces or quotes)';
  if (/(^|\/)\.\.?(\/|$)/.test(dir)) return 'must not contain . or .. components';
  return undefined;
}

/** The textfile directory as this run sees it: inside the image root with --root. */
export const textfileDirIn = (root: string | undefined, dir: string): string => join(root ?? '/', dir);

export function renderMetricsService(o: { exec: string[]; textfileDir: string }): string {
  const exec = [...o.exec, 'metrics', '--textfile', o.textfileDir].map(execWord).join(' ');
  return `# Written by asm-erdma install-service --metrics; re-run it rather than editing this file.
[Unit]
Description=asm-erdma: write node readiness and SMC fallbacks for node_exporter's textfile collector
# The first run after boot sees the NICs as the boot unit left them.
After=asm-erdma.service

[Service]
Type=oneshot
EnvironmentFile=-${SYSCONFIG_FILE}
UnsetEnvironment=NODE_OPTIONS
ExecStart=${exec}
TimeoutStartSec=${METRICS_TIMEOUT_S + START_TIMEOUT_MARGIN_S}
${sandboxDirectives({ writablePaths: [o.textfileDir], entersNetworkNamespaces: true }).join('\n')}
`;
}

export function renderMetricsTimer(): string {
  return `# Written by asm-erdma install-service --metrics; re-run it rather than editing this file.
[Unit]
Description=asm-erdma: refresh the node_exporter textfile every ${METRICS_INTERVAL_S} s

[Timer]
OnBootSec=${METRICS_INTERVAL_S}
OnUnitActiveSec=${METRICS_INTERVAL_S}
# Each node at its own offset; the alert on stale metrics allows for it.
RandomizedDelaySec=15
AccuracySec=1

[Install]
WantedBy=timers.target
`;
}
