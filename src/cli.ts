/**
 * The commander program and the ONE place where errors become exit codes: commands throw ExitError, commander
 * usage errors become 2, anything else is a bug (1) and prints its stack only with --verbose.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, ExitError, exitCodeMeaning, type ExitCodeName } from './exit-codes.js';
import { jsonAlreadyWritten, printJson } from './commands/common.js';
import { registerNicCommands } from './commands/nic-commands.js';
import { registerServiceCommands } from './commands/service-commands.js';
import { registerKernelCommands } from './commands/kernel-commands.js';
import { registerStatusCommand } from './commands/status-command.js';
import { registerDiagCommand } from './commands/diag-command.js';
import { coloursFor } from './ui/colours.js';

/** Set by the bundler; unbundled (tests importing dist/src) it is read from package.json. */
declare const ASM_ERDMA_VERSION: string | undefined;
const version =
  typeof ASM_ERDMA_VERSION === 'string'
    ? ASM_ERDMA_VERSION
    : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function exitCodeTable(): string {
  return (Object.keys(ExitCode) as ExitCodeName[]).map((k) => `  ${String(ExitCode[k]).padStart(2)}  ${exitCodeMeaning[k]}`).join('\n');
}

export function buildProgram(): Command {
  const program = new Command('asm-erdma')
    .description('Make an Alibaba Cloud Linux 3 node ready for ASM SMC-R acceleration over an eRDMA NIC')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .addHelpText('after', `\nExit codes:\n${exitCodeTable()}`);
  registerNicCommands(program);
  registerServiceCommands(program);
  registerKernelCommands(program);
  registerStatusCommand(program);
  registerDiagCommand(program);
  // Every (sub)command reports usage errors to the one boundary in main().
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program)) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const c = coloursFor(process.stderr);
  try {
    await buildProgram().parseAsync(argv);
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Asked-for help and --version are success; help shown because a (sub)command was missing is a usage error.
      // Commander already printed its message.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? ExitCode.ok : ExitCode.usage;
    }
    const err = e instanceof ExitError ? e : new ExitError('internal', `unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    if (!err.reported) process.stderr.write(`${c.red('error:')} ${err.message}${err.hint ? ` (${err.hint})` : ''}\n`);
    if (!(e instanceof ExitError) && verbose && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    if (json && !jsonAlreadyWritten()) {
      const name = (Object.keys(ExitCode) as ExitCodeName[]).find((k) => ExitCode[k] === err.code);
      printJson({ error: { code: err.code, name, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } });
    }
    return err.code;
  }
}
