/** `status`: every readiness check at once, as a table or one JSON document. */
import type { Command } from 'commander';
import { coloursFor } from '../ui/colours.js';
import { column } from '../ui/wrap.js';
import { parseMinimum } from '../workflows/kernel.js';
import { runStatus, statusFailure, type StatusReport } from '../workflows/status.js';
import { makeContext, printJson, readinessOptions } from './common.js';

function render(report: StatusReport): void {
  // The table goes to stdout: its colours follow stdout, whatever stderr is (status | awk '$2=="fail"').
  const c = coloursFor(process.stdout);
  const paint = { ok: c.green, warn: c.yellow, fail: c.red };
  const idWidth = Math.max(5, ...report.checks.map((k) => k.id.length));
  const lines = [`${'CHECK'.padEnd(idWidth)}  STATE  DETAIL`];
  // On a terminal, long details wrap under the DETAIL column (fix lines under their own text), never to column 0.
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  const indent = idWidth + 9;
  for (const [i, k] of report.checks.entries()) {
    lines.push(...column(`${k.id.padEnd(idWidth)}  ${paint[k.state](k.state.padEnd(5))}  `, k.detail, indent, columns));
    // Checks that share one fix (one `asm-erdma setup` for several NICs) show it once, after the last of them.
    if (k.fix && report.checks[i + 1]?.fix !== k.fix)
      lines.push(...column(`${' '.repeat(indent)}fix: `, k.fix, indent + 5, columns));
  }
  const warnings = `${report.warnings} warning${report.warnings === 1 ? '' : 's'}`;
  lines.push(
    '',
    report.ready
      ? `ready for SMC over eRDMA${report.warnings ? ` (${warnings})` : ''}`
      : `NOT ready for SMC over eRDMA: ${report.failed} failed, ${warnings}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerStatusCommand(program: Command): void {
  readinessOptions(
    program
      .command('status')
      .description('is this node ready for SMC over eRDMA? every check at once, with a fix for each'),
    'print one JSON document on stdout',
  )
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma status
  asm-erdma status --json | jq '.checks[] | select(.state != "ok")'
  asm-erdma status --min 5.10.134-17.3`,
    )
    .action(async (o: { min: string; metadataUrl: string; timeout: number; json?: boolean; verbose?: boolean }) => {
      const ctx = makeContext(o, o.timeout);
      const options = { min: parseMinimum(o.min, '--min'), metadataUrl: o.metadataUrl, deadline: ctx.deadline };
      const report = await runStatus(ctx.host, options, ctx.log);
      if (ctx.json) printJson(report);
      else render(report);
      const failure = statusFailure(ctx.host, report, o.timeout);
      if (failure) throw failure;
    });
}
