/** `metrics`: the node's readiness and SMC fallbacks in the Prometheus text format, on stdout or as a textfile. */
import type { Command } from 'commander';
import { ExitError } from '../exit-codes.js';
import { DEFAULT_TEXTFILE_DIR } from '../core/metrics-unit.js';
import { TEXTFILE_NAME, writeTextfile } from '../host/textfile.js';
import { versionInfo } from '../version.js';
import { parseMinimum } from '../workflows/kernel.js';
import { runMetrics } from '../workflows/metrics.js';
import { makeContext, printJson, readinessOptions } from './common.js';

interface MetricsFlags {
  min: string;
  metadataUrl: string;
  timeout: number;
  textfile?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerMetricsCommand(program: Command): void {
  readinessOptions(
    program
      .command('metrics')
      .description("this node's readiness and SMC fallbacks as Prometheus metrics (read-only)")
      .option('--textfile <dir>', `write DIR/${TEXTFILE_NAME} atomically for node_exporter's textfile collector`),
    'print the families as one JSON document instead of the exposition text',
  )
    .addHelpText(
      'after',
      `
Never changes the node and never waits for setup's lock. Exit 0 when the metrics were written, whatever they
say; 6 when --textfile cannot be written; 9 when a tool hung (it was killed; the metrics are still written).

Examples:
  asm-erdma metrics
  asm-erdma metrics --textfile ${DEFAULT_TEXTFILE_DIR}
  asm-erdma install-service --metrics      every 60 s from a systemd timer`,
    )
    .action(async (o: MetricsFlags) => {
      // A dry-run host: nothing this command does can change the node, and the record is opened read-only.
      const ctx = makeContext({ dryRun: true, verbose: o.verbose }, o.timeout);
      const { version, commit } = versionInfo();
      const report = await runMetrics(
        ctx.host,
        {
          min: parseMinimum(o.min, '--min'),
          metadataUrl: o.metadataUrl,
          deadline: ctx.deadline,
          build: { version, commit },
        },
        ctx.log,
      );
      const textfile = o.textfile === undefined ? null : writeTextfile(o.textfile, report.text);
      if (textfile) ctx.log.verbose(`wrote ${textfile}`);
      if (o.json) printJson({ command: 'metrics', textfile, families: report.families });
      else if (!textfile) process.stdout.write(report.text);
      const hung = ctx.host.killedTools()[0];
      if (hung) {
        const what = `${hung} did not answer within ${o.timeout} s; it was killed (its check is marked fail)`;
        throw new ExitError('toolTimeout', what, 'run it by hand to see why it hangs');
      }
    });
}
