/** `setup` and `reset`: options → workflow → human text or --json. */
import type { Command } from 'commander';
import { ExitError } from '../exit-codes.js';
import { DEFAULT_METADATA_URL } from '../host/metadata.js';
import { acquireLock, blameLockWait } from '../host/lock.js';
import { requireNetAdmin } from '../host/privileges.js';
import { runReset, type ResetReport } from '../workflows/reset.js';
import { runSetup, type SetupReport } from '../workflows/setup.js';
import { collectInterface, makeContext, parseMetadataUrl, parseTimeout, printJson, type CommonOptions, type Context } from './common.js';
import { parseSettle } from './settle-option.js';
import type { Logger } from '../ui/logger.js';

interface NicOptions extends CommonOptions {
  interface: string[];
  metadataUrl: string;
  wait?: boolean;
  settle: number;
  all?: boolean;
}

function nicOptions(cmd: Command): Command {
  return cmd
    .option('-i, --interface <name>', 'only this eRDMA NIC (repeatable)', collectInterface, [])
    .option('--metadata-url <url>', 'ECS metadata server', parseMetadataUrl, DEFAULT_METADATA_URL)
    .option('--timeout <seconds>', 'overall deadline for the run (lock, devices, metadata)', parseTimeout, 30)
    .option('-n, --dry-run', 'print the commands it would run; change nothing')
    .option('--json', 'print one JSON document on stdout (logs stay on stderr)')
    .option('-v, --verbose', 'log every command and metadata request');
}

/** Root, then the lock, then the work; dry-run only reads, so it needs neither. */
async function guarded<T>(ctx: Context, what: string, work: () => Promise<T>): Promise<T> {
  if (ctx.runner.dryRun) return work();
  requireNetAdmin(what);
  const waitStarted = Date.now();
  const lock = await acquireLock(ctx.deadline, () => ctx.log.info('another asm-erdma run is in progress; waiting for it…'));
  const lockWaitMs = Date.now() - waitStarted;
  try {
    return await work();
  } catch (e) {
    throw blameLockWait(e, ctx.deadline, lockWaitMs);
  } finally {
    await lock.release();
  }
}

function failIfAnyFailed(nics: { name: string; result: string; error?: string }[]): void {
  const failed = nics.filter((n) => n.result === 'failed' || n.result === 'rolled-back');
  if (failed.length > 0) {
    const first = failed[0] as { name: string; result: string; error?: string };
    throw new ExitError('apply', `${first.name}: ${first.error ?? 'failed'} (${first.result === 'rolled-back' ? 'put back as it was' : 'left as it was'})`, undefined);
  }
}

function renderSetup(report: SetupReport, log: Logger): void {
  const out: string[] = [];
  if (report.dryRun) out.push('dry run: these commands would run (nothing was changed):');
  for (const nic of report.nics) {
    if (report.dryRun) {
      out.push(...(nic.actions.length > 0 ? nic.actions : [`# ${nic.name}: already configured, nothing to do`]));
      continue;
    }
    out.push(`${nic.name}  ${nic.address}/${nic.prefix}  gateway ${nic.gateway}  metric ${nic.metric}  ${nic.result}`);
    for (const a of nic.actions) out.push(`  ${a}`);
  }
  for (const nic of report.nics) for (const w of nic.warnings) log.warn(w);
  if (!report.dryRun) {
    const changed = report.nics.filter((n) => n.result === 'changed').length;
    out.push(changed === 0 ? `nothing to do: ${report.nics.length} eRDMA NIC(s) already configured (primary ${report.primary} left alone)` : `configured ${changed} of ${report.nics.length} eRDMA NIC(s) (primary ${report.primary} left alone)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function renderReset(report: ResetReport): void {
  const out: string[] = [];
  if (report.dryRun) out.push('dry run: these commands would run (nothing was changed):');
  for (const nic of report.nics) {
    if (report.dryRun) {
      out.push(...(nic.actions.length > 0 ? nic.actions : [`# ${nic.name}: nothing to reset`]));
      continue;
    }
    out.push(`${nic.name}  ${nic.result}${nic.removed.length ? `  removed ${nic.removed.join(', ')}` : ''}`);
    for (const a of nic.actions) out.push(`  ${a}`);
  }
  if (!report.dryRun) {
    const changed = report.nics.filter((n) => n.result === 'changed').length;
    out.push(changed === 0 ? 'nothing to do: no eRDMA NIC had anything to reset' : `reset ${changed} of ${report.nics.length} eRDMA NIC(s)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerNicCommands(program: Command): void {
  nicOptions(
    program
      .command('setup')
      .description('bring every eRDMA NIC up with its address from the ECS metadata server')
      .option('--wait', 'boot mode: wait (within --timeout) for the eRDMA driver and the metadata server')
      .option('--settle <seconds>', 'with --wait and no -i: go on once no eRDMA device was added for this long',
        parseSettle, 3),
  )
    .addHelpText('after', `
Examples:
  asm-erdma setup                    configure every eRDMA NIC
  asm-erdma setup --dry-run          print the ip commands, change nothing
  asm-erdma setup -i eth1 --json     only eth1, machine-readable report
  asm-erdma setup --wait --timeout 120   what the boot unit runs`)
    .action(async (o: NicOptions, cmd: Command) => {
      if (!o.wait && cmd.getOptionValueSource('settle') === 'cli') {
        throw new ExitError('usage', '--settle only applies with --wait (boot mode)', 'add --wait, or drop --settle');
      }
      const ctx = makeContext(o, { toolsBounded: true });
      const options = {
        interfaces: o.interface, metadataUrl: o.metadataUrl, deadline: ctx.deadline, wait: Boolean(o.wait), settleMs: o.settle * 1000,
      };
      const report = await guarded(ctx, 'setup', () => runSetup(ctx.runner, options, ctx.log));
      if (ctx.json) printJson(report);
      else renderSetup(report, ctx.log);
      failIfAnyFailed(report.nics);
    });

  nicOptions(
    program
      .command('reset')
      .description("take away what setup gave: the NIC's address, then link down")
      .option('--all', 'remove every global IPv4 address on the eRDMA NICs (the old script\'s flush)'),
  )
    .addHelpText('after', `
Examples:
  asm-erdma reset                    remove setup's address and set the NICs down
  asm-erdma reset -i eth2 --dry-run  show what would happen to eth2
  asm-erdma reset --all              also remove addresses someone else added`)
    .action(async (o: NicOptions) => {
      const ctx = makeContext(o, { toolsBounded: true });
      const report = await guarded(ctx, 'reset', () =>
        runReset(ctx.runner, { interfaces: o.interface, all: Boolean(o.all), metadataUrl: o.metadataUrl, deadline: ctx.deadline }, ctx.log),
      );
      if (ctx.json) printJson(report);
      else renderReset(report);
      failIfAnyFailed(report.nics);
    });
}
