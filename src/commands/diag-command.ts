/** `diag`: which SMC connections use SMC-R and which fell back to TCP, and why. */
import { InvalidArgumentError, type Command } from 'commander';
import { ExitError } from '../exit-codes.js';
import type { DiagSample } from '../core/smcss.js';
import { runDiag } from '../workflows/diag.js';
import { makeContext, parseTimeout, printJson } from './common.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function renderSample(s: DiagSample, withTime: boolean): string {
  const when = withTime ? `${s.at.slice(11, 19)}  ` : '';
  const listening = s.listening ? `; ${plural(s.listening, 'listening socket')}` : '';
  if (s.connections === 0) {
    return `${when}no SMC connections${listening}: nothing fell back (are both workloads SMC-enabled?)\n`;
  }
  const modes = [`${s.smcr} SMC-R`, ...(s.smcd ? [`${s.smcd} SMC-D`] : []), `${s.fellBack} fell back to TCP`];
  const lines = [`${when}${plural(s.connections, 'SMC connection')}: ${modes.join(', ')}${listening}`];
  for (const g of s.reasons) {
    const name = g.peerName ? `${g.name}/${g.peerName}` : g.name;
    lines.push(`  ${String(g.count).padStart(4)}  ${g.code}  ${name}: ${g.meaning}`);
    const shown = g.peers.slice(0, 5).map((p) => `${p.address} (${p.count})`);
    const more = g.peers.length > 5 ? `, and ${g.peers.length - 5} more` : '';
    lines.push(`        peers: ${shown.join(', ')}${more}`, `        fix: ${g.fix}`);
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

export function registerDiagCommand(program: Command): void {
  program
    .command('diag')
    .description('is SMC really used? SMC-R connections vs those that fell back to TCP, grouped by reason, with fixes')
    .option('--watch <seconds>', 'sample again every SECONDS (until Ctrl-C, or --count samples)', parseTimeout)
    .option('--count <n>', 'with --watch: stop after N samples', parseCount)
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText(
      'after',
      `
Reads smcss -a (smc-tools). Exit 0 when no connection fell back to TCP, 16 when some did,
8 when smcss or the smc module is missing.

Examples:
  asm-erdma diag
  asm-erdma diag --json | jq '.reasons[] | {code, meaning, count}'
  asm-erdma diag --watch 5 --count 12      one minute of samples`,
    )
    .action(async (o: { watch?: number; count?: number; json?: boolean; verbose?: boolean }) => {
      if (o.count !== undefined && o.watch === undefined) {
        throw new ExitError('usage', '--count needs --watch', 'e.g. asm-erdma diag --watch 5 --count 12');
      }
      const ctx = makeContext(o);
      const watching = o.watch !== undefined;
      const report = await runDiag(ctx.host, { watchSeconds: o.watch, count: o.count }, (s) => {
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
      if (report.fellBack) throw new ExitError('fellBack', 'some SMC connections fell back to TCP', undefined, true);
    });
}
