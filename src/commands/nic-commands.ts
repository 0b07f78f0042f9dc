/** `setup` and `reset`: options → workflow → human text or --json. */
import type { Command } from 'commander';
import { ExitError } from '../exit-codes.js';
import { DEFAULT_METADATA_URL } from '../host/metadata.js';
import { runReset, type ResetReport } from '../workflows/reset.js';
import { runSetup, type NicReport, type SetupReport } from '../workflows/setup.js';
import {
  collectInterface,
  makeContext,
  parseMetadataUrl,
  parseSettle,
  parseTimeout,
  printJson,
  withDryRun,
  type BoundedContext,
  type CommonOptions,
} from './common.js';
import type { Logger } from '../ui/logger.js';
import { DEFAULT_BOOT_TIMEOUT_S } from '../core/unit.js';

const DEFAULT_TIMEOUT_S = 30;

/** A boot-time run (--wait) waits for the driver and the metadata server, so its deadline is longer. */
const contextFor = (o: NicOptions): BoundedContext =>
  makeContext(o, o.timeout ?? (o.wait ? DEFAULT_BOOT_TIMEOUT_S : DEFAULT_TIMEOUT_S));

interface NicOptions extends CommonOptions {
  interface?: string[];
  timeout?: number;
  metadataUrl: string;
  wait?: boolean;
  settle: number;
  all?: boolean;
}

function nicOptions(cmd: Command): Command {
  return cmd
    .option('-i, --interface <name>', 'only this eRDMA NIC (repeatable; default: every eRDMA NIC)', collectInterface)
    .option('--metadata-url <url>', 'ECS metadata server', parseMetadataUrl, DEFAULT_METADATA_URL)
    .option(
      '--timeout <seconds>',
      'overall deadline for the run (lock, devices, metadata; ' +
        `default: ${DEFAULT_TIMEOUT_S}, with --wait ${DEFAULT_BOOT_TIMEOUT_S})`,
      parseTimeout,
    )
    .option('-n, --dry-run', 'print the commands it would run; change nothing')
    .option('--json', 'print one JSON document on stdout (logs stay on stderr)')
    .option('-v, --verbose', 'log every command and metadata request');
}

function failIfAnyFailed(nics: { name: string; result: string; error?: string; failedAt?: string }[]): void {
  const failed = nics.filter((n) => (n.result === 'failed' || n.result === 'rolled-back') && !n.failedAt);
  if (failed.length > 0) {
    const first = failed[0] as { name: string; result: string; error?: string };
    const state = first.result === 'rolled-back' ? 'put back as it was' : 'left as it was';
    const hint = `${state}; check it with ip addr show dev ${first.name}, then run again`;
    throw new ExitError('apply', `${first.name}: ${first.error ?? 'failed'}`, hint);
  }
}

/** setup --wait: a NIC the metadata server never knew failed alone; the others are configured as reported. */
function failIfMetadataMissing(nics: NicReport[]): void {
  const missing = nics.filter((n) => n.failedAt === 'metadata');
  const first = missing[0];
  if (!first) return;
  const others = nics.length - missing.length;
  const done = others > 0 ? `the other ${others} eRDMA NIC(s) are configured; ` : '';
  const names = missing.map((n) => `-i ${n.name}`).join(' ');
  const hint = `${done}is the ENI attached (ECS console)? then: asm-erdma setup ${names}`;
  throw new ExitError('metadata', `${first.name}: ${first.error ?? 'no metadata'}; it was left as it was`, hint);
}

/** The NICs changed as reported, but the record of what setup gave them could not be written. */
function failIfRecordLost(report: { recordError?: string }): void {
  if (report.recordError) {
    const hint = 'fix the run directory; reset asks the metadata server meanwhile';
    throw new ExitError('apply', `${report.recordError} (the NICs were changed as reported)`, hint);
  }
}

/** Dry run: the commands, or "nothing to do" when there are none (never a heading over an empty list). */
function dryRunLines(actions: string[][], names: string[], idle: string, nothing: string): string[] {
  if (actions.every((a) => a.length === 0)) return [nothing];
  return [
    'dry run: these commands would run (nothing was changed):',
    ...actions.flatMap((a, i) => (a.length > 0 ? a : [`# ${names[i]}: ${idle}`])),
  ];
}

function renderSetup(report: SetupReport & { dryRun: boolean }, log: Logger): void {
  for (const nic of report.nics) for (const w of nic.warnings) log.warn(w);
  const count = report.nics.length;
  const left = `primary ${report.primary} left alone`;
  let out: string[];
  const actions = report.nics.map((n) => (n.failedAt ? [`# ${n.name}: ${n.error ?? 'no metadata'}`] : n.actions));
  const names = report.nics.map((n) => n.name);
  if (report.dryRun) {
    const nothing = `nothing to do: ${count} eRDMA NIC(s) already configured (dry run; ${left})`;
    out = dryRunLines(actions, names, 'already configured, nothing to do', nothing);
  } else {
    out = report.nics.flatMap((nic) => [
      nic.failedAt
        ? `${nic.name}  ${nic.result}: no metadata`
        : `${nic.name}  ${nic.address}/${nic.prefix}  gateway ${nic.gateway}  metric ${nic.metric}  ${nic.result}` +
          (nic.stale.length > 0 ? `  replaced ${nic.stale.join(', ')}` : ''),
      ...nic.actions.map((a) => `  ${a}`),
    ]);
    const changed = report.nics.filter((n) => n.result === 'changed').length;
    out.push(
      changed === 0
        ? `nothing to do: ${count} eRDMA NIC(s) already configured (${left})`
        : `configured ${changed} of ${count} eRDMA NIC(s) (${left})`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function renderReset(report: ResetReport & { dryRun: boolean }): void {
  let out: string[];
  if (report.dryRun) {
    const nothing = 'nothing to do: no eRDMA NIC has anything to reset (dry run)';
    out = dryRunLines(
      report.nics.map((n) => n.actions),
      report.nics.map((n) => n.name),
      'nothing to reset',
      nothing,
    );
  } else {
    out = report.nics.flatMap((nic) => [
      `${nic.name}  ${nic.result}${nic.removed.length ? `  removed ${nic.removed.join(', ')}` : ''}`,
      ...nic.actions.map((a) => `  ${a}`),
    ]);
    const changed = report.nics.filter((n) => n.result === 'changed').length;
    out.push(
      changed === 0
        ? 'nothing to do: no eRDMA NIC had anything to reset'
        : `reset ${changed} of ${report.nics.length} eRDMA NIC(s)`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerNicCommands(program: Command): void {
  nicOptions(
    program
      .command('setup')
      .description('bring every eRDMA NIC up with its address from the ECS metadata server')
      .option('--wait', 'boot mode: wait (within --timeout) for the eRDMA driver and the metadata server')
      .option(
        '--settle <seconds>',
        'with --wait and no -i: after every eRDMA device the PCI tree announces is ready, also wait until ' +
          'none was added for this long',
        parseSettle,
        0,
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma setup                    configure every eRDMA NIC
  asm-erdma setup --dry-run          print the ip commands, change nothing
  asm-erdma setup -i eth1 --json     only eth1, machine-readable report
  asm-erdma setup --wait             boot mode, what the boot unit runs (deadline 120 s)`,
    )
    .action(async (o: NicOptions, cmd: Command) => {
      if (!o.wait && cmd.getOptionValueSource('settle') === 'cli') {
        throw new ExitError('usage', '--settle only applies with --wait (boot mode)', 'add --wait, or drop --settle');
      }
      const ctx = contextFor(o);
      const options = {
        interfaces: o.interface ?? [],
        metadataUrl: o.metadataUrl,
        deadline: ctx.deadline,
        wait: Boolean(o.wait),
        settleMs: o.settle * 1000,
      };
      const report = withDryRun(ctx, await runSetup(ctx.host, options, ctx.log));
      if (ctx.json) printJson(report);
      else renderSetup(report, ctx.log);
      failIfAnyFailed(report.nics);
      failIfRecordLost(report);
      failIfMetadataMissing(report.nics);
    });

  nicOptions(
    program
      .command('reset')
      .description("take away what setup gave: the NIC's address, then link down")
      .option('--all', "remove every global IPv4 address on the eRDMA NICs (the old script's flush)"),
  )
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma reset                    remove setup's address and set the NICs down
  asm-erdma reset -i eth2 --dry-run  show what would happen to eth2
  asm-erdma reset --all              also remove addresses someone else added`,
    )
    .action(async (o: NicOptions) => {
      const ctx = contextFor(o);
      const options = {
        interfaces: o.interface ?? [],
        all: Boolean(o.all),
        metadataUrl: o.metadataUrl,
        deadline: ctx.deadline,
      };
      const report = withDryRun(ctx, await runReset(ctx.host, options, ctx.log));
      if (ctx.json) printJson(report);
      else renderReset(report);
      failIfAnyFailed(report.nics);
      failIfRecordLost(report);
    });
}
