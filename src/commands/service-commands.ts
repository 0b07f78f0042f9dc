/** `install-service` and `uninstall-service`: options → workflow → human text or --json. */
import type { Command } from 'commander';
import { DEFAULT_BOOT_TIMEOUT_S, SYSCONFIG_FILE, UNIT_NAME } from '../core/unit.js';
import {
  DEFAULT_TEXTFILE_DIR,
  METRICS_INTERVAL_S,
  METRICS_TIMER_NAME,
  textfileDirProblem,
} from '../core/metrics-unit.js';
import { TEXTFILE_NAME } from '../host/textfile.js';
import { DEFAULT_METADATA_URL } from '../host/metadata.js';
import { installService, uninstallService, type ServiceReport } from '../workflows/service.js';
import { ExitError } from '../exit-codes.js';
import { collectInterface, makeContext, parseMetadataUrl, parseTimeout, printJson, withDryRun } from './common.js';

/** systemctl answers in well under a second; a hung one (a wedged PID 1) is killed at this deadline. */
const SERVICE_TIMEOUT_S = 60;

interface ServiceFlags {
  root?: string;
  exec?: string;
  now?: boolean;
  keepGoing?: boolean;
  keepLegacy?: boolean;
  timeout?: number;
  metadataUrl?: string;
  interface?: string[];
  /** --metrics alone is true; --metrics=DIR a directory. */
  metrics?: string | true;
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

function render(report: ServiceReport & { dryRun: boolean }): void {
  const out: string[] = [];
  if (report.dryRun && report.changes.length === 0) {
    const state = report.command === 'install-service' ? 'is installed, enabled and up to date' : 'is not installed';
    out.push(`nothing to do: ${UNIT_NAME} ${state} (dry run)`);
  } else if (report.dryRun) {
    if (report.unit && report.unitFile !== 'unchanged')
      out.push(`dry run: ${report.unitPath} would contain:`, report.unit);
    out.push('dry run: these changes would be made (nothing was changed):', ...report.changes);
  } else if (report.command === 'install-service') {
    out.push(...report.changes);
    if (report.unitFile === 'unchanged') out.push(`${report.unitPath} is already up to date`);
    const idle = report.changes.length === 0 && !report.startError;
    const started = report.started ? ' and started' : '';
    const metrics = report.metrics ? ` (and ${METRICS_TIMER_NAME})` : '';
    const done = `${UNIT_NAME}${metrics} is installed and enabled`;
    out.push(idle ? `nothing to do: ${done}` : `${done}${started}`);
    if (!report.root)
      out.push(`check it after the next boot: systemctl status ${UNIT_NAME}; journalctl -u ${UNIT_NAME}`);
  } else {
    out.push(...report.changes);
    out.push(
      report.changes.length === 0
        ? `nothing to do: ${UNIT_NAME} is not installed`
        : `${UNIT_NAME} is removed (the NICs keep their configuration: asm-erdma reset undoes it)`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

function metricsDir(value: string | true): string {
  const dir = value === true ? DEFAULT_TEXTFILE_DIR : value.replace(/(.)\/+$/, '$1');
  const problem = textfileDirProblem(dir);
  if (problem) {
    throw new ExitError('usage', `--metrics '${dir}': ${problem}`, `e.g. --metrics=${DEFAULT_TEXTFILE_DIR}`);
  }
  return dir;
}

export function registerServiceCommands(program: Command): void {
  program
    .command('install-service')
    .description(`write and enable ${UNIT_NAME}, which runs setup at every boot`)
    .option('--root <dir>', 'install into an image root (Packer, chroot): no daemon-reload, no root needed')
    .option(
      '--exec <path>',
      'where asm-erdma lives on the target (with --root: inside the image), e.g. /usr/bin/asm-erdma',
    )
    .option('--now', 'also start it now (live node only)')
    .option('--keep-legacy', 'leave the old asm_erdma_eth_config.service alone')
    .option(
      '--timeout <seconds>',
      `deadline of the boot-time setup, written into the unit ` +
        `(default: ASM_ERDMA_TIMEOUT from ${SYSCONFIG_FILE} at boot, else ${DEFAULT_BOOT_TIMEOUT_S})`,
      parseTimeout,
    )
    .option(
      '--metadata-url <url>',
      'metadata server for the boot-time setup, written into the unit ' +
        `(default: the sysconfig file, else ${DEFAULT_METADATA_URL})`,
      parseMetadataUrl,
    )
    .option(
      '-i, --interface <name>',
      'only this eRDMA NIC at boot, written into the unit (repeatable; default: the sysconfig file, else every one)',
      collectInterface,
    )
    .option(
      '--metrics [dir]',
      `also install ${METRICS_TIMER_NAME}: asm-erdma metrics writes DIR/${TEXTFILE_NAME} every ` +
        `${METRICS_INTERVAL_S} s for node_exporter (default DIR: ${DEFAULT_TEXTFILE_DIR})`,
    )
    .option('-n, --dry-run', 'print the unit and the systemctl commands; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma install-service                 install and enable on this node
  asm-erdma install-service --metrics       … and the metrics timer (node_exporter textfile collector)
  asm-erdma install-service --now           … and run it now
  asm-erdma install-service --root /mnt/img into an image being built
  asm-erdma install-service --root /mnt/img --exec /usr/bin/asm-erdma
  asm-erdma install-service --dry-run       show the unit and what would run
Defaults for the boot-time setup (metadata URL, interfaces, timeout) belong in /etc/sysconfig/asm-erdma,
which the unit reads (EnvironmentFile=) and setup reads too; flags given here are written into ExecStart.`,
    )
    .action(async (o: ServiceFlags) => {
      const metrics = o.metrics === undefined ? undefined : { textfileDir: metricsDir(o.metrics) };
      const ctx = makeContext(o, SERVICE_TIMEOUT_S);
      const flags = {
        interfaces: o.interface ?? [],
        ...(o.timeout !== undefined ? { timeoutSeconds: o.timeout } : {}),
        ...(o.metadataUrl !== undefined && o.metadataUrl !== DEFAULT_METADATA_URL
          ? { metadataUrl: o.metadataUrl }
          : {}),
      };
      const options = {
        root: o.root,
        now: Boolean(o.now),
        keepLegacy: Boolean(o.keepLegacy),
        exec: o.exec,
        flags,
        ...(metrics ? { metrics } : {}),
      };
      const report = withDryRun(ctx, await installService(ctx.host, options, ctx.log));
      if (ctx.json) printJson(report);
      else render(report);
      if (report.startError) {
        // The install stays: it is what was asked for, and the unit runs setup again at the next boot.
        const why = `${UNIT_NAME} is installed and enabled, but starting it failed: ${report.startError}`;
        throw new ExitError('apply', why, `journalctl -u ${UNIT_NAME}; asm-erdma setup shows why`);
      }
    });

  program
    .command('uninstall-service')
    .description(`disable and remove ${UNIT_NAME} and the metrics timer (the NICs are left as they are: see reset)`)
    .option('--root <dir>', 'remove from an image root')
    .option('--now', 'also stop it now (live node only)')
    .option(
      '--keep-going',
      'remove the files even when systemd cannot stop the unit or reload (no running systemd: an image, a chroot, ' +
        'a container); the failure is still reported (exit 6)',
    )
    .option('-n, --dry-run', 'print the systemctl commands; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma uninstall-service               disable and remove it
  asm-erdma uninstall-service --root /mnt/img
  asm-erdma uninstall-service --now --keep-going   what the RPM's erase runs`,
    )
    .action(async (o: ServiceFlags) => {
      const ctx = makeContext(o, SERVICE_TIMEOUT_S);
      const options = { root: o.root, now: Boolean(o.now), keepGoing: Boolean(o.keepGoing) };
      const report = withDryRun(ctx, await uninstallService(ctx.host, options, ctx.log));
      if (ctx.json) printJson(report);
      else render(report);
      if (report.stopError) {
        const why = `${UNIT_NAME}'s files are removed, but systemd could not stop it or reload: ${report.stopError}`;
        throw new ExitError('apply', why, 'nothing to do when no systemd runs here (an image, a chroot, a container)');
      }
    });
}
