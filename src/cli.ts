/**
 * The commander program and the ONE place where errors become exit codes: commands throw ExitError, commander
 * usage errors become 2, anything else is a bug (1) and prints its stack only with --verbose. Every error is one
 * line, `error: <what was wrong> (<what to do>)`.
 */
import { Command, CommanderError, Option, type HelpContext } from 'commander';
import { ExitCode, ExitError, exitCodeMeaning, type ExitCodeName } from './exit-codes.js';
import { jsonAlreadyWritten, printJson, splitHint } from './commands/common.js';
import { registerNicCommands } from './commands/nic-commands.js';
import { registerServiceCommands } from './commands/service-commands.js';
import { registerKernelCommands } from './commands/kernel-commands.js';
import { registerStatusCommand } from './commands/status-command.js';
import { registerDiagCommand } from './commands/diag-command.js';
import { applySysconfig, commandPath } from './commands/sysconfig-defaults.js';
import { COLOR_MODES, coloursFor, setColorMode, type ColorMode } from './ui/colours.js';
import { errorLine } from './ui/error-line.js';
import { stopSpinners } from './ui/logger.js';
import { setQuiet } from './ui/output-mode.js';
import { interruptedSummary } from './host/change-journal.js';
import { onInterrupt } from './host/interrupt.js';
import { versionInfo } from './version.js';
import { registerMetricsCommand } from './commands/metrics-command.js';

function exitCodeTable(): string {
  return (Object.keys(ExitCode) as ExitCodeName[])
    .map((k) => `  ${String(ExitCode[k]).padStart(2)}  ${exitCodeMeaning[k]}`)
    .join('\n');
}

const fullName = (cmd: Command): string => ['asm-erdma', commandPath(cmd)].filter(Boolean).join(' ');

/** A value worth showing when a flag is missing its argument. */
const EXAMPLE_VALUE: Record<string, string> = {
  '--timeout': '30',
  '--min': '5.10.134-17.3',
  '--to': '5.10.134-17.3',
  '--interface': 'eth1',
  '--metadata-url': 'http://100.100.100.200',
  '--root': '/mnt/image',
  '--color': 'never',
  '--settle': '2',
};

/** Commander's usage messages, rewritten into one line with what to do. */
export function usageError(cmd: Command, message: string, code: string | undefined): ExitError {
  const first = (message.split('\n')[0] ?? '').replace(/^error:\s*/, '');
  const suggestion = /\(Did you mean (.+?)\?\)/.exec(message)?.[1];
  const help = `see ${fullName(cmd)} --help`;
  const flagOf = (text: string): string => {
    const flags = /option '([^']+)'/.exec(text)?.[1] ?? '';
    return /--[\w-]+/.exec(flags)?.[0] ?? flags.split(/[ ,]/)[0] ?? flags;
  };
  switch (code) {
    case 'commander.unknownCommand':
      return new ExitError(
        'usage',
        first,
        `${suggestion ? `did you mean ${suggestion}? ` : ''}${fullName(cmd)} --help lists the commands`,
      );
    case 'commander.unknownOption':
      return new ExitError('usage', first, `${suggestion ? `did you mean ${suggestion}? ` : ''}${help}`);
    case 'commander.optionMissingArgument': {
      const flag = flagOf(first);
      const example = EXAMPLE_VALUE[flag];
      return new ExitError('usage', `${flag} needs a value`, `${example ? `e.g. ${flag} ${example}; ` : ''}${help}`);
    }
    case 'commander.invalidArgument': {
      const m = /^option '[^']+' argument '(.*)' is invalid\. (.*)$/s.exec(first);
      if (!m) return new ExitError('usage', first, help);
      const [value, rest] = [m[1] as string, m[2] as string];
      const { reason, hint } = splitHint(rest);
      const flag = flagOf(first);
      // "e.g. 30" from a shared validator reads better as "e.g. --timeout 30" here.
      const h = hint?.replace(/^e\.g\. (?!-)(\S+)$/, `e.g. ${flag} $1`);
      return new ExitError(
        'usage',
        reason.includes(`'${value}'`) ? `${flag}: ${reason}` : `${flag} '${value}': ${reason}`,
        h ?? help,
      );
    }
    case 'commander.excessArguments':
      return new ExitError(
        'usage',
        `${fullName(cmd)} takes no argument '${cmd.args.join(' ')}'`,
        `it takes only options; ${help}`,
      );
    case 'commander.conflictingOption':
      return new ExitError('usage', first.replace(/option '([^']+)'/g, '$1'), 'use only one of them');
    default:
      return new ExitError('usage', first, help);
  }
}

/** Usage errors raise our one-line ExitError instead of commander printing its own (two-line) message. */
class CliCommand extends Command {
  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }
  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    throw usageError(this, message, errorOptions?.code);
  }
  /** Commander shows help as an error when a subcommand is missing: one line instead, like every error. */
  override help(context?: HelpContext): never;
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (context && typeof context === 'object' && context.error) {
      const names = this.commands.map((c) => c.name()).filter((n) => n !== 'help');
      if (!this.parent)
        throw new ExitError('usage', 'no command given', 'e.g. asm-erdma status; asm-erdma --help lists every command');
      throw new ExitError(
        'usage',
        `${fullName(this)} needs a command: ${names.join(', ')}`,
        `e.g. ${fullName(this)} ${names[0]}; see ${fullName(this)} --help`,
      );
    }
    return super.help(context as HelpContext);
  }
}

function parseColor(value: string): ColorMode {
  if (!(COLOR_MODES as readonly string[]).includes(value)) {
    throw new ExitError('usage', `--color '${value}': must be auto, always or never`, 'e.g. --color=never');
  }
  return value as ColorMode;
}

/** Each top-level command and what registers it, in the order `--help` lists them. */
const REGISTRARS: [names: string[], register: (program: Command) => void][] = [
  [['setup', 'reset'], registerNicCommands],
  [['install-service', 'uninstall-service'], registerServiceCommands],
  [['kernel', 'hotfix'], registerKernelCommands],
  [['status'], registerStatusCommand],
  [['diag'], registerDiagCommand],
  [['metrics'], registerMetricsCommand],
];

/**
 * The top-level command a run names, when nothing but global options comes before it: then only that command is
 * registered (a boot-time setup need not build the other ten). Anything else — no command, `help`, an unknown
 * word or option — gets the whole program, so help, suggestions and errors are commander's as always.
 */
export function invokedCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-q' || a === '--quiet' || a.startsWith('--color=')) continue;
    if (a === '--color') {
      i++;
      continue;
    }
    return REGISTRARS.some(([names]) => names.includes(a)) ? a : undefined;
  }
  return undefined;
}

/** The program; given the run's arguments (argv without node and script), only the command they name. */
export function buildProgram(args: readonly string[] = []): Command {
  const program = new CliCommand('asm-erdma')
    .description('Make an Alibaba Cloud Linux 3 node ready for ASM SMC-R acceleration over an eRDMA NIC')
    .version(versionInfo().version, '-V, --version', 'print the version (with --json: version, commit, node, built)')
    // choices() lets the man page and completion list the values; parseColor keeps our one-line error.
    .addOption(
      new Option('--color <when>', 'colours: auto (the stream is a terminal and NO_COLOR is unset), always or never')
        .choices(COLOR_MODES)
        .argParser(parseColor)
        .default('auto'),
    )
    .option('-q, --quiet', 'print only errors and the result (no progress, warnings or spinner)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      `
Examples:
  asm-erdma status                   is this node ready? every check, a fix for each
  asm-erdma kernel check             kernel at or above the minimum?
  asm-erdma setup --dry-run          what setup would change
  asm-erdma setup && asm-erdma install-service
  asm-erdma help setup               help for one command (same as setup --help)

Defaults for --metadata-url, --interface, --min, --timeout: /etc/sysconfig/asm-erdma (man asm-erdma: FILES).

Exit codes:
${exitCodeTable()}`,
    );
  const invoked = invokedCommand(args);
  for (const [names, register] of REGISTRARS) if (!invoked || names.includes(invoked)) register(program);
  // Every (sub)command reports usage errors to the one boundary in main().
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program)) cmd.exitOverride();
  program.hook('preAction', (_root, action) => {
    const g = action.optsWithGlobals<{ color: ColorMode; quiet?: boolean; verbose?: boolean }>();
    if (g.quiet && g.verbose)
      throw new ExitError('usage', '-q/--quiet and -v/--verbose cannot be combined', 'use only one of them');
    setColorMode(g.color);
    setQuiet(Boolean(g.quiet));
    applySysconfig(action);
  });
  return program;
}

/** `--color X` / `--color=X` before commander has parsed anything: a usage error is coloured as asked, too. */
function earlyColorMode(args: string[]): ColorMode {
  for (const [i, a] of args.entries()) {
    if (a === '--') break;
    const v = a.startsWith('--color=') ? a.slice('--color='.length) : a === '--color' ? args[i + 1] : undefined;
    if (v !== undefined && (COLOR_MODES as readonly string[]).includes(v)) return v as ColorMode;
  }
  return 'auto';
}

/**
 * `asm-erdma help kernel check` is `asm-erdma kernel check --help` (commander's help command takes one name). A
 * name that is no command is left to commander, which reports it as unknown, with a suggestion.
 */
function rewriteHelp(program: Command, argv: string[]): string[] {
  const [node = '', script = '', first, ...rest] = argv;
  if (first !== 'help') return argv;
  let cmd = program;
  for (const word of rest) {
    const sub = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) return [node, script, ...rest];
    cmd = sub;
  }
  return [node, script, ...rest, '--help'];
}

/** --version (-V) with nothing but options around it; --json makes it one JSON document. */
function versionRequested(args: string[]): boolean {
  return args.some((a) => a === '--version' || a === '-V') && args.every((a) => a.startsWith('-'));
}

/**
 * Ctrl-C, systemd's SIGTERM, a closed terminal: the spinner goes, and one line says what the run had changed
 * (host/change-journal.ts) — usually nothing — so nobody has to go and look. The process then dies of the signal.
 */
function reportInterrupts(): void {
  onInterrupt((signal) => {
    stopSpinners();
    // The terminal echoed ^C where the cursor was: start the line clean.
    const clear = process.stderr.isTTY ? '\r\x1b[K' : '';
    process.stderr.write(`${clear}interrupted (${signal}): ${interruptedSummary()}\n`);
  });
}

export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  reportInterrupts();
  const json = args.includes('--json');
  const verbose = args.includes('--verbose') || args.includes('-v');
  setColorMode(earlyColorMode(args));
  try {
    if (versionRequested(args)) {
      const info = versionInfo();
      if (json) printJson(info);
      else process.stdout.write(`${info.version}\n`);
      return ExitCode.ok;
    }
    const program = buildProgram(args);
    await program.parseAsync(rewriteHelp(program, argv));
    return ExitCode.ok;
  } catch (e) {
    stopSpinners();
    if (
      e instanceof CommanderError &&
      (e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        (e.code === 'commander.help' && e.exitCode === 0))
    ) {
      return ExitCode.ok;
    }
    const err =
      e instanceof ExitError
        ? e
        : e instanceof CommanderError
          ? new ExitError('usage', e.message.replace(/^error:\s*/, ''), 'see asm-erdma --help')
          : new ExitError('internal', `unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    const name = (Object.keys(ExitCode) as ExitCodeName[]).find((k) => ExitCode[k] === err.code);
    const line = errorLine(err.message, err.hint, name);
    if (!err.reported) process.stderr.write(`${coloursFor(process.stderr).red('error:')} ${line.text}\n`);
    if (!(e instanceof ExitError) && verbose && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    if (json && !jsonAlreadyWritten()) {
      printJson({ error: { code: err.code, name, message: err.message, ...(line.hint ? { hint: line.hint } : {}) } });
    }
    return err.code;
  }
}
