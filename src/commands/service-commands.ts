/** `install-service` and `uninstall-service`: options → workflow → human text or --json. */
import type { Command } from 'commander';
import { DEFAULT_BOOT_TIMEOUT_S, UNIT_NAME } from '../core/unit.js';
import { DEFAULT_METADATA_URL } from '../host/metadata.js';
import { execForRoot } from '../host/install-paths.js';
import { installService, uninstallService, type ServiceReport } from '../workflows/service.js';
import { collectInterface, makeContext, parseMetadataUrl, parseTimeout, printJson } from './common.js';

interface ServiceFlags {
  root?: string;
  exec?: string;
  now?: boolean;
  keepLegacy?: boolean;
  timeout: number;
  metadataUrl: string;
  interface: string[];
  dryRun?: boolean;
  json?: boolean;
  verbose?: boolean;
}

function render(report: ServiceReport): void {
  const out: string[] = [];
  if (report.dryRun) {
    if (report.unit) out.push(`dry run: ${report.unitPath} would contain:`, report.unit);
    out.push(report.changes.length > 0 ? 'dry run: these changes would be made (nothing was changed):' : 'dry run: nothing would change', ...report.changes);
  } else if (report.command === 'install-service') {
    out.push(...report.changes);
    if (report.unitFile === 'unchanged') out.push(`${report.unitPath} is already up to date`);
    out.push(report.changes.length === 0 ? `nothing to do: ${UNIT_NAME} is installed and enabled` : `${UNIT_NAME} is installed and enabled${report.started ? ' and started' : ''}`);
    if (!report.root) out.push(`check it after the next boot: systemctl status ${UNIT_NAME}; journalctl -u ${UNIT_NAME}`);
  } else {
    out.push(...report.changes);
    out.push(report.changes.length === 0 ? `nothing to do: ${UNIT_NAME} is not installed` : `${UNIT_NAME} is removed (the NICs keep their configuration: asm-erdma reset undoes it)`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerServiceCommands(program: Command): void {
  program
    .command('install-service')
    .description(`write and enable ${UNIT_NAME}, which runs setup at every boot`)
    .option('--root <dir>', 'install into an image root (Packer, chroot): no daemon-reload, no root needed')
    .option('--exec <path>', 'where asm-erdma lives on the target (with --root: inside the image), e.g. /usr/bin/asm-erdma')
    .option('--now', 'also start it now (live node only)')
    .option('--keep-legacy', 'leave the old asm_erdma_eth_config.service alone')
    .option('--timeout <seconds>', 'deadline of the boot-time setup (it waits for the driver and metadata)', parseTimeout, DEFAULT_BOOT_TIMEOUT_S)
    .option('--metadata-url <url>', 'metadata server for the boot-time setup', parseMetadataUrl, DEFAULT_METADATA_URL)
    .option('-i, --interface <name>', 'only this eRDMA NIC at boot (repeatable)', collectInterface, [])
    .option('-n, --dry-run', 'print the unit and the systemctl commands; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText('after', `
Examples:
  asm-erdma install-service                 install and enable on this node
  asm-erdma install-service --now           … and run it now
  asm-erdma install-service --root /mnt/img into an image being built
  asm-erdma install-service --root /mnt/img --exec /usr/bin/asm-erdma
  asm-erdma install-service --dry-run       show the unit and what would run`)
    .action(async (o: ServiceFlags) => {
      const ctx = makeContext(o);
      const unit = { exec: execForRoot(o.root, o.exec), timeoutSeconds: o.timeout, interfaces: o.interface, ...(o.metadataUrl !== DEFAULT_METADATA_URL ? { metadataUrl: o.metadataUrl } : {}) };
      const report = await installService(ctx.runner, { root: o.root, now: Boolean(o.now), keepLegacy: Boolean(o.keepLegacy), unit }, ctx.log);
      if (ctx.json) printJson(report);
      else render(report);
    });

  program
    .command('uninstall-service')
    .description(`disable and remove ${UNIT_NAME} (the NICs are left as they are: see reset)`)
    .option('--root <dir>', 'remove from an image root')
    .option('--now', 'also stop it now (live node only)')
    .option('-n, --dry-run', 'print the systemctl commands; change nothing')
    .option('--json', 'print one JSON document on stdout')
    .option('-v, --verbose', 'log every command')
    .addHelpText('after', `
Examples:
  asm-erdma uninstall-service               disable and remove it
  asm-erdma uninstall-service --root /mnt/img`)
    .action(async (o: ServiceFlags) => {
      const ctx = makeContext({ ...o, timeout: 30 });
      const report = await uninstallService(ctx.runner, { root: o.root, now: Boolean(o.now) }, ctx.log);
      if (ctx.json) printJson(report);
      else render(report);
    });
}
