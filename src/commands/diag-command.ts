/** `diag`: which SMC connections use SMC-R and which fell back to TCP, and why — per pod, across the node. */
import { InvalidArgumentError, type Command } from 'commander';
import type { FallbackGroup } from '../core/smcss.js';
import type { NamespaceRow, NamespacesSample } from '../core/smc-namespaces.js';
import { ExitError } from '../exit-codes.js';
import { runDiag } from '../workflows/diag.js';
import { makeContext, parseTimeout, printJson } from './common.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A list of names, cut after `max`. */
function names(rows: NamespaceRow[], max = 8): string {
  const shown = rows.slice(0, max).map((r) => (r.kind === 'netns' && r.process ? `${r.pod} (${r.process})` : r.pod));
  return rows.length > max ? `${shown.join(', ')} and ${rows.length - max} more` : shown.join(', ');
}

function reasonLines(groups: FallbackGroup[], indent: string): string[] {
  const lines: string[] = [];
  for (const g of groups) {
    const name = g.peerName ? `${g.name}/${g.peerName}` : g.name;
    lines.push(`${indent}${String(g.count).padStart(4)}  ${g.code}  ${name}: ${g.meaning}`);
    const shown = g.peers.slice(0, 5).map((p) => `${p.address} (${p.count})`);
    const more = g.peers.length > 5 ? `, and ${g.peers.length - 5} more` : '';
    lines.push(`${indent}      peers: ${shown.join(', ')}${more}`, `${indent}      fix: ${g.fix}`);
  }
  return lines;
}

const tcp2smcWord = (r: NamespaceRow): string =>
  r.tcp2smc === true ? 'tcp2smc on' : r.tcp2smc === false ? 'tcp2smc off' : 'no tcp2smc';

/** Where the sample looked: `4 network namespaces: 3 pods, host, 1 other`. */
function scope(s: NamespacesSample): string {
  const kinds = [
    ...(s.podNamespaces ? [plural(s.podNamespaces, 'pod')] : []),
    ...(s.pods.some((r) => r.kind === 'host') ? ['host'] : []),
    ...(s.pods.some((r) => r.kind === 'netns') ? [`${s.pods.filter((r) => r.kind === 'netns').length} other`] : []),
  ];
  return `${plural(s.pods.length, 'network namespace')}${kinds.length ? `: ${kinds.join(', ')}` : ''}`;
}

/**
 * Leads with what needs doing: the pods whose connections fall back (reason and fix each), then those using SMC,
 * then those with none — told apart by tcp2smc ("never switched to SMC" is not "tried and fell back").
 */
export function renderSample(s: NamespacesSample, withTime: boolean): string {
  const when = withTime ? `${s.at.slice(11, 19)}  ` : '';
  const listening = s.listening ? `; ${plural(s.listening, 'listening socket')}` : '';
  const lines: string[] = [];
  if (s.connections === 0) lines.push(`${when}no SMC connections${listening} (${scope(s)})`);
  else {
    const modes = [`${s.smcr} SMC-R`, ...(s.smcd ? [`${s.smcd} SMC-D`] : []), `${s.fellBack} fell back to TCP`];
    lines.push(`${when}${plural(s.connections, 'SMC connection')}: ${modes.join(', ')}${listening} (${scope(s)})`);
  }
  if (s.podNamespaces > 0) lines.push(`tcp2smc is on in ${s.tcp2smcOn} of ${plural(s.podNamespaces, 'pod')}`);
  const ok = s.pods.filter((r) => r.state === 'ok');
  const fellBack = ok.filter((r) => r.fellBack > 0);
  if (fellBack.length > 0) {
    lines.push('fell back to TCP:');
    for (const r of fellBack) {
      lines.push(`  ${r.pod} (${tcp2smcWord(r)}): ${r.fellBack} of ${plural(r.connections, 'connection')} fell back`);
      lines.push(...reasonLines(r.reasons, '  '));
    }
  }
  const using = ok.filter((r) => r.fellBack === 0 && r.connections > 0);
  if (using.length > 0) {
    lines.push('using SMC:');
    for (const r of using) {
      const modes = [`${r.smcr} SMC-R`, ...(r.smcd ? [`${r.smcd} SMC-D`] : [])].join(', ');
      lines.push(`  ${r.pod} (${tcp2smcWord(r)}): ${modes}`);
    }
  }
  const idle = ok.filter((r) => r.connections === 0);
  const never = idle.filter((r) => r.kind === 'pod' && r.tcp2smc === false);
  const waiting = idle.filter((r) => r.kind === 'pod' && r.tcp2smc === true);
  const other = idle.filter((r) => !never.includes(r) && !waiting.includes(r));
  if (never.length) lines.push(`never switched to SMC (tcp2smc off): ${names(never)}`);
  if (waiting.length) lines.push(`tcp2smc on, no SMC connection now: ${names(waiting)}`);
  if (other.length) lines.push(`no SMC connections: ${names(other)}`);
  if (s.connections === 0 && s.podNamespaces > 0 && s.tcp2smcOn === 0) {
    lines.push(
      'no pod has tcp2smc on: ASM has switched none to SMC (smcEnabled in the ASMMeshConfig and the annotation ' +
        'smc.asm.alibabacloud.com/enabled: "true" on the workloads)',
    );
  }
  const timedOut = s.pods.filter((r) => r.state === 'timed-out');
  if (timedOut.length) lines.push(`not read: smcss did not answer in time in ${names(timedOut)} (killed)`);
  if (s.netns.vanished) {
    lines.push(`${plural(s.netns.vanished, 'network namespace')} ended while being read (skipped)`);
  }
  return `${lines.join('\n')}\n`;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 1_000_000) {
    throw new InvalidArgumentError('must be a whole number of samples, 1 or more');
  }
  return n;
}

/** A Kubernetes name (DNS label or subdomain). */
function parseKubeName(value: string): string {
  if (!/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 253) {
    throw new InvalidArgumentError('must be a Kubernetes name (lower-case letters, digits, - and .)');
  }
  return value;
}

interface DiagFlags {
  watch?: number;
  count?: number;
  timeout?: number;
  pod?: string;
  namespace?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerDiagCommand(program: Command): void {
  program
    .command('diag')
    .description(
      'is SMC really used? per pod: SMC-R connections vs those that fell back to TCP, grouped by reason, with fixes',
    )
    .option('--pod <name>', 'only the pod(s) with this name', parseKubeName)
    .option('--namespace <ns>', 'only pods in this Kubernetes namespace', parseKubeName)
    .option('--watch <seconds>', 'sample again every SECONDS (until Ctrl-C, or --count samples)', parseTimeout)
    .option('--count <n>', 'with --watch: stop after N samples', parseCount)
    .option(
      '--timeout <seconds>',
      'deadline of each sample: smcss still running then is killed (default 20)',
      parseTimeout,
    )
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText(
      'after',
      `
Runs smcss -a -W (smc-tools) inside every network namespace of the node (smc_diag shows only the
caller's), as root, and names each after its pod (cgroup + /var/log/pods). Exit 0 when no connection
fell back to TCP, 16 when some did, 9 when smcss did not answer in some namespace (the others are
reported), 8 when smcss, smc_diag or the smc module is missing, 3 when not root.

Examples:
  asm-erdma diag                           which pods fall back, and why
  asm-erdma diag --namespace shop          only the pods of one namespace
  asm-erdma diag --json | jq '.pods[] | select(.fellBack > 0) | {pod, tcp2smc, reasons}'
  asm-erdma diag --watch 5 --count 12      one minute of samples`,
    )
    .action(async (o: DiagFlags) => {
      if (o.count !== undefined && o.watch === undefined) {
        throw new ExitError('usage', '--count needs --watch', 'e.g. asm-erdma diag --watch 5 --count 12');
      }
      const ctx = makeContext(o);
      const watching = o.watch !== undefined;
      const filter = { pod: o.pod, namespace: o.namespace };
      const options = { watchSeconds: o.watch, count: o.count, timeoutSeconds: o.timeout ?? 20, filter };
      const report = await runDiag(ctx.host, options, (s) => {
        if (!ctx.json) process.stdout.write(renderSample(s, watching));
      });
      if (ctx.json) {
        const [first] = report.samples;
        printJson(
          watching || !first
            ? { command: 'diag', intervalSeconds: o.watch, samples: report.samples }
            : { command: 'diag', ...first },
        );
      }
      if (report.timedOut.length > 0) {
        throw new ExitError(
          'toolTimeout',
          `smcss did not answer within ${o.timeout ?? 20} s in ${report.timedOut.join(', ')}; it was killed`,
          "run 'nsenter --net=/proc/PID/ns/net smcss -a -W' with a PID of that pod to see why it hangs",
        );
      }
      if (report.fellBack) throw new ExitError('fellBack', 'some SMC connections fell back to TCP', undefined, true);
    });
}
