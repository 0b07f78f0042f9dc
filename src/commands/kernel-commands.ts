/** `kernel check|list|upgrade` and `hotfix`: options → workflow → human text or --json. */
import type { Command } from 'commander';
import { ExitError } from '../exit-codes.js';
import { DEFAULT_MIN_KERNEL, upgradeCommand } from '../core/kernel-policy.js';
import {
  parseMinimum,
  parseTarget,
  runHotfix,
  runKernelCheck,
  runKernelList,
  runKernelUpgrade,
} from '../workflows/kernel.js';
import { makeContext, printJson, withDryRun } from './common.js';

interface KernelFlags {
  min: string;
  to?: string;
  yes?: boolean;
  reboot?: boolean;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

const out = (lines: string[]): void => void process.stdout.write(`${lines.join('\n')}\n`);
const minOption = [
  '--min <release>',
  'minimum kernel release (newer ASM versions ask for 5.10.134-17.3)',
  DEFAULT_MIN_KERNEL,
] as const;

/** Dry run: the commands that would run, or just the message when there are none. */
const result = (r: { dryRun: boolean; commands: string[]; message: string }): string[] => [
  ...(r.dryRun && r.commands.length ? ['dry run: these commands would run (nothing was changed):', ...r.commands] : []),
  r.message,
];

export function registerKernelCommands(program: Command): void {
  const kernel = program
    .command('kernel')
    .description('check, list and upgrade the kernel SMC over eRDMA needs')
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma kernel check                    running kernel at or above 5.10.134-16.3?
  asm-erdma kernel list                     what the repositories offer, in rpm order
  asm-erdma kernel upgrade --yes            install the newest kernel if this one is too old
  asm-erdma kernel upgrade --min 5.10.134-17.3 --to 5.10.134-17.3 --yes --reboot`,
    );

  kernel
    .command('check')
    .description('does the running kernel meet the minimum?')
    .option(...minOption)
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma kernel check                    against 5.10.134-16.3
  asm-erdma kernel check --min 5.10.134-17.3 --json`,
    )
    .action(async (o: KernelFlags) => {
      const ctx = makeContext(o);
      const min = parseMinimum(o.min, '--min');
      const report = await runKernelCheck(ctx.host, min);
      if (ctx.json) printJson(report);
      else {
        const lines = [
          `running kernel ${report.running} ${report.meets ? 'meets' : 'is below'} the minimum ${report.minimum}`,
        ];
        if (report.newerInstalled) {
          const why = report.rebootPending ? ': only a reboot is missing' : '';
          lines.push(`${report.newerInstalled} is installed but not running${why}`);
        }
        if (!report.meets && !report.rebootPending) lines.push(`upgrade it: ${upgradeCommand(min)}`);
        if (report.hotfixNeeded) lines.push('this kernel needs the SMC hotfix: asm-erdma hotfix');
        out(lines);
      }
      if (report.rebootPending) throw new ExitError('rebootPending', 'reboot pending', undefined, true);
      if (!report.meets) throw new ExitError('kernelTooOld', 'kernel too old', undefined, true);
    });

  kernel
    .command('list')
    .description('kernels the repositories offer, in rpm order, marked installed / running / default / meets minimum')
    .option(...minOption)
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma kernel list
  asm-erdma kernel list --min 5.10.134-17.3 --json`,
    )
    .action(async (o: KernelFlags) => {
      const ctx = makeContext(o);
      const report = await runKernelList(ctx.host, parseMinimum(o.min, '--min'), ctx.log);
      if (ctx.json) return printJson(report);
      const width = Math.max(6, ...report.kernels.map((k) => k.release.length));
      const mark = (b: boolean | null, word: string): string => (b === null ? '?' : b ? word : '-').padEnd(10);
      const columns = ['INSTALLED', 'RUNNING', 'DEFAULT'].map((w) => w.padEnd(10)).join('');
      const heading = `${'KERNEL'.padEnd(width)}  ${columns}`;
      const row = (k: (typeof report.kernels)[number]): string =>
        `${k.release.padEnd(width)}  ` +
        `${mark(k.installed, 'installed')}${mark(k.running, 'running')}${mark(k.defaultBoot, 'default')}` +
        `${k.meetsMinimum ? 'yes' : 'no'}${k.available ? '' : '  (not in any repository)'}`;
      out([`${heading}MEETS ${report.minimum}`, ...report.kernels.map(row)]);
    });

  kernel
    .command('upgrade')
    .description(
      'below --min, install the newest kernel the repositories offer (nothing to do at or above it); with --to R, ' +
        'install exactly R. yum installs it; it runs from the next boot (--reboot reboots into it now)',
    )
    .option(...minOption)
    .option(
      '--to <release>',
      'install this one: 5.10.134-17.3, 5.10.134-17.3.al8[.x86_64] or the package name (refused below --min)',
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--reboot', 'reboot into the new kernel when it is the default boot entry')
    .option('-n, --dry-run', 'print the yum command; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', "stream yum's output")
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma kernel upgrade                  newest available if below 5.10.134-16.3, asks first
  asm-erdma kernel upgrade --min 5.10.134-17.3 --yes
  asm-erdma kernel upgrade --to 5.10.134-17.3 --yes
  asm-erdma kernel upgrade --yes --reboot   unattended, reboots into it`,
    )
    .action(async (o: KernelFlags) => {
      const ctx = makeContext(o);
      const options = {
        min: parseMinimum(o.min, '--min'),
        to: o.to === undefined ? undefined : parseTarget(o.to),
        yes: Boolean(o.yes),
        reboot: Boolean(o.reboot),
      };
      const report = withDryRun(ctx, await runKernelUpgrade(ctx.host, options, ctx.log));
      if (ctx.json) printJson(report);
      else out(result(report));
    });

  program
    .command('hotfix')
    .description('on exactly 5.10.134-16.3, install the SMC netdev-leak hotfix kernel-hotfix-16664924-5.10.134-16.3')
    .option(...minOption)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-n, --dry-run', 'print the yum command; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', "stream yum's output")
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma hotfix                          installs it if this kernel needs it (asks first)
  asm-erdma hotfix --yes --json`,
    )
    .action(async (o: KernelFlags) => {
      const ctx = makeContext(o);
      const report = withDryRun(
        ctx,
        await runHotfix(ctx.host, { yes: Boolean(o.yes), min: parseMinimum(o.min, '--min') }, ctx.log),
      );
      if (ctx.json) printJson(report);
      else out(result(report));
    });
}
