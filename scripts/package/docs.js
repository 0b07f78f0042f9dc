// The man page asm-erdma(8) and the bash completion, both generated from the commander program itself (the
// compiled dist/src/cli.js), so neither can drift from what the CLI accepts.

/** Every command with its full name ("kernel check") and its exact --help text. */
function commands(program) {
  const out = [];
  const walk = (cmd, name) => {
    let text = '';
    cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s), getOutHelpWidth: () => 78 });
    cmd.outputHelp();
    out.push({ cmd, name, text });
    for (const sub of cmd.commands) walk(sub, `${name} ${sub.name()}`);
  };
  walk(program, program.name());
  return out;
}

const roff = (line) =>
  line
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/, '\\&$1')
    .replace(/-/g, '\\-');

/** @returns {string} the troff source of asm-erdma(8). */
export function manPage(program, version, date) {
  const [top, ...subs] = commands(program);
  const lines = [
    `.TH ASM-ERDMA 8 "${date}" "asm-erdma ${version}" "System Administration"`,
    '.SH NAME',
    `asm-erdma \\- ${roff(program.description())}`,
    '.SH SYNOPSIS',
    '.B asm-erdma',
    '.I command',
    '[\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    "Every command and option below is the CLI's own \\fB\\-\\-help\\fR text.",
    '.PP',
    '.nf',
    ...top.text.trimEnd().split('\n').map(roff),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const s of subs) {
    if (s.name.endsWith(' help')) continue;
    lines.push(`.SS "${s.name}"`, '.nf', ...s.text.trimEnd().split('\n').map(roff), '.fi');
  }
  lines.push(
    '.SH FILES',
    '.TP',
    '/etc/systemd/system/asm-erdma.service',
    'the boot unit, written only by \\fBasm\\-erdma install\\-service\\fR and removed by \\fBuninstall\\-service\\fR',
    '.TP',
    '/etc/systemd/system/asm\\-erdma\\-metrics.service, asm\\-erdma\\-metrics.timer',
    '\\fBasm\\-erdma metrics \\-\\-textfile\\fR every 60 s, written by \\fBinstall\\-service \\-\\-metrics\\fR',
    '.SH SEE ALSO',
    '\\fBsystemctl\\fR(1), \\fBip\\fR(8), \\fBrdma\\fR(8)',
  );
  return `${lines.join('\n')}\n`;
}

/** @returns {string} a bash completion script for commands, subcommands and each one's options. */
export function bashCompletion(program) {
  const all = commands(program).filter((c) => !c.name.endsWith(' help'));
  const words = (c) =>
    [
      ...c.cmd.commands.map((s) => s.name()).filter((n) => n !== 'help'),
      ...c.cmd.options.flatMap((o) => [o.short, o.long].filter(Boolean)),
      '--help',
    ].join(' ');
  const sub = (c) => c.name.split(' ').slice(1).join(' ');
  const cases = all.map((c) => `    "${sub(c)}") words="${words(c)}" ;;`);
  return `# bash completion for asm-erdma (generated from its commander program)
_asm_erdma() {
  local cur path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
${all
  .slice(1)
  .map((c) => `      "${sub(c)}") path="${sub(c)}" ;;`)
  .join('\n')}
    esac
  done
  local words
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _asm_erdma asm-erdma
`;
}
