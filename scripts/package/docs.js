// The man page asm-erdma(8) and the bash completion, both generated from the commander program itself (the
// compiled dist/src/cli.js) and the constants the CLI uses (exit codes, file paths), so neither can drift from
// what the CLI accepts and does.

/**
 * What the man page states besides the program: exit codes, files, environment. Read from the compiled modules
 * in `dist` (the ones the CLI runs), never written out by hand here.
 * @param {string} dist absolute path of the dist/ directory
 */
export async function programFacts(dist) {
  const load = (p) => import(`${dist}/src/${p}`);
  const [{ ExitCode, exitCodeMeaning }, { SYSCONFIG_PATH }, { servicePaths }, { UNIT_NAME }, metrics] =
    await Promise.all([
      load('exit-codes.js'),
      load('core/sysconfig.js'),
      load('core/service-plan.js'),
      load('core/unit.js'),
      load('core/metrics-unit.js'),
    ]);
  const paths = servicePaths(undefined);
  return {
    exitCodes: Object.keys(ExitCode).map((k) => ({ code: ExitCode[k], meaning: exitCodeMeaning[k] })),
    files: [
      [SYSCONFIG_PATH, 'defaults for --metadata-url, --interface, --min and --timeout (KEY=value lines)'],
      [
        '/run/asm-erdma/owned.json',
        'what setup gave each NIC, so that reset takes away exactly that (moved by ASM_ERDMA_RUN_DIR)',
      ],
      [paths.unit, `the boot unit (${UNIT_NAME}), written by install-service and removed by uninstall-service`],
      [paths.template, 'the hot-plug template unit: one instance configures an eRDMA NIC attached after boot'],
      [paths.rule, 'the udev rule that starts the hot-plug unit for each new eRDMA device'],
      [
        `${paths.metricsService}, ${metrics.METRICS_TIMER_NAME}`,
        'metrics --textfile every 60 s, written by install-service --metrics',
      ],
      [
        `${metrics.DEFAULT_TEXTFILE_DIR}/asm_erdma.prom`,
        "the metrics for node_exporter's textfile collector (metrics --textfile DIR)",
      ],
      [DOC_DIR, 'README.md (the node procedure) and docs/ (JSON shapes, design notes)'],
    ],
  };
}

/** Where the RPM installs the README and docs/ (scripts/package/asm-erdma.spec, %doc). */
export const DOC_DIR = '/usr/share/doc/asm-erdma';

const ENVIRONMENT = [
  ['NO_COLOR', 'set and not empty: no colours (as --color never), whatever the terminal'],
  ['TERM', 'dumb: no colours and no spinner'],
  ['PATH', 'where ip, rdma, yum or dnf, rpm, grubby, systemctl, uname and smcss are looked up'],
  ['ASM_ERDMA_RUN_DIR', 'the directory of the record setup writes (default /run/asm-erdma)'],
  ['ASM_ERDMA_SYSCONFIG', 'read this file instead of /etc/sysconfig/asm-erdma'],
];

const SEE_ALSO =
  '\\fBip\\fR(8), \\fBrdma\\fR(8), \\fBsmcss\\fR(8), \\fBsystemctl\\fR(1), \\fBudev\\fR(7), \\fByum\\fR(8)';

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
  return out.filter((c) => !c.name.endsWith(' help'));
}

/** Text made safe for roff: backslashes, leading control characters, and hyphens as minus signs (copyable). */
const roff = (text) =>
  text
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/, '\\&$1')
    .replace(/-/g, '\\-');

/** The "Examples:" block of a help text as [command, comment] pairs. */
function examples(helpText) {
  const block = /\nExamples:\n((?: {2}.*\n?)+)/.exec(helpText)?.[1] ?? '';
  return block
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [command, comment = ''] = l.trim().split(/ {2,}/);
      return [command, comment];
    });
}

/** An option as `.TP` with its flags in bold and its argument in italics, then its description and default. */
function optionItem(o) {
  const flags = o.flags
    .split(/,\s*|\s+(?=[<[])/)
    .map((f) => (/^[<[]/.test(f) ? `\\fI${roff(f)}\\fR` : `\\fB${roff(f)}\\fR`));
  // "--color <when>": the argument follows its flag with a space; "-i, --interface": the flags with a comma.
  const shown = flags.reduce((s, f) => (s === '' ? f : f.startsWith('\\fI') ? `${s} ${f}` : `${s}, ${f}`), '');
  const choices = o.argChoices ? ` One of: ${o.argChoices.join(', ')}.` : '';
  const dflt =
    o.defaultValue !== undefined && !Array.isArray(o.defaultValue) ? ` Default: ${String(o.defaultValue)}.` : '';
  return ['.TP', shown, roff(`${o.description}.${choices}${dflt}`.replace(/\.\./g, '.'))];
}

const section = (name, ...lines) => [`.SH ${name}`, ...lines];
const item = (tag, text) => ['.TP', tag, roff(text)];

/**
 * @returns {string} the troff source of asm-erdma(8): NAME, SYNOPSIS, DESCRIPTION, COMMANDS (each with its own
 * options), OPTIONS (the global ones, once), EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SEE ALSO.
 */
export function manPage(program, version, date, facts) {
  const [top, ...subs] = commands(program);
  const lines = [
    `.TH ASM-ERDMA 8 "${date}" "asm-erdma ${version}" "System Administration"`,
    // No hyphenation, ragged right: flags, paths and commands stay whole and copyable at any width.
    '.nh',
    '.ad l',
    ...section('NAME', `asm-erdma \\- ${roff(program.description())}`),
    ...section('SYNOPSIS', '.B asm-erdma', '[\\fIglobal options\\fR]', '.I command', '[\\fIoptions\\fR]'),
    ...section(
      'DESCRIPTION',
      roff(
        'asm-erdma prepares an Alibaba Cloud Linux 3 node for SMC-R over eRDMA, which Alibaba Service Mesh uses ' +
          'to accelerate pod-to-pod traffic: it checks and upgrades the kernel, installs the SMC hotfix where ' +
          'needed, gives every eRDMA NIC its address from the ECS metadata server, keeps doing so at every boot ' +
          'and for NICs attached later, and reports whether the node is ready.',
      ),
      '.PP',
      roff(
        'The procedure on a node: status; kernel upgrade or hotfix, then reboot; setup; install-service; ' +
          'status again; diag once pods use SMC. Every command is bounded by a deadline, changes nothing under ' +
          '--dry-run, and puts back what it changed when a step fails.',
      ),
      '.PP',
      roff(`${DOC_DIR}/README.md describes the procedure step by step.`),
    ),
    '.SH COMMANDS',
  ];
  for (const s of subs) {
    const sub = s.name.split(' ').slice(1).join(' ');
    lines.push(`.SS "${roff(sub)}"`, `.B asm\\-erdma ${roff(sub)}`, `\\fI${roff(s.cmd.usage())}\\fR`, '.PP');
    lines.push(roff(s.cmd.description()));
    for (const o of s.cmd.options) lines.push('.RS', ...optionItem(o), '.RE');
    const ex = examples(s.text);
    if (ex.length > 0) {
      lines.push('.PP', 'Examples:');
      for (const [command, comment] of ex) lines.push('.RS', '.TP', `\\fB${roff(command)}\\fR`, roff(comment), '.RE');
    }
  }
  lines.push(
    ...section('OPTIONS', 'These go before or after the command, e.g. \\fBasm\\-erdma \\-q status\\fR.'),
    ...program.options.flatMap(optionItem),
    ...item('\\fB\\-h\\fR, \\fB\\-\\-help\\fR', 'help for the program or for one command'),
    ...section('EXIT STATUS'),
    ...facts.exitCodes.flatMap(({ code, meaning }) => item(`\\fB${code}\\fR`, meaning)),
    ...section('ENVIRONMENT'),
    ...ENVIRONMENT.flatMap(([name, text]) => item(`\\fB${name}\\fR`, text)),
    ...section('FILES'),
    ...facts.files.flatMap(([path, text]) => item(`\\fI${roff(path)}\\fR`, text)),
    ...section('EXAMPLES'),
    ...examples(top.text).flatMap(([command, comment]) => ['.TP', `\\fB${roff(command)}\\fR`, roff(comment)]),
    ...section('SEE ALSO', SEE_ALSO),
  );
  return `${lines.join('\n')}\n`;
}

/** The kind of value an option takes, read from the option itself. */
function valueKind(o) {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices) return { words: o.argChoices.join(' ') };
  const arg = /<([^>]+)>|\[([^\]]+)\]/.exec(o.flags);
  const name = arg?.[1] ?? arg?.[2] ?? '';
  if (name === 'dir') return { dirs: true };
  if (name === 'path') return { files: true };
  if (o.long === '--interface') return { interfaces: true };
  if (name === 'release') return { kernels: true };
  return { free: true };
}

/**
 * @returns {string} a bash completion script: commands, subcommands, each one's options, and the values an option
 * takes — its choices, interface names (eRDMA NICs first), kernel releases, file or directory paths.
 */
export function bashCompletion(program) {
  const all = commands(program);
  const sub = (c) => c.name.split(' ').slice(1).join(' ');
  const words = (c) =>
    [
      ...c.cmd.commands.map((s) => s.name()).filter((n) => n !== 'help'),
      ...[...c.cmd.options, ...(c.cmd === program ? [] : program.options)].flatMap((o) =>
        [o.short, o.long].filter(Boolean),
      ),
      '--help',
    ].join(' ');
  // Every option that takes a value, per command path: `case "$path $prev"` picks what to offer.
  const valueCases = [];
  for (const c of all) {
    const options = [...c.cmd.options, ...(c.cmd === program ? [] : program.options)];
    for (const o of options) {
      const kind = valueKind(o);
      if (!kind) continue;
      const flags = [o.short, o.long].filter(Boolean);
      const pattern = flags.map((f) => `"${sub(c)} ${f}"`).join('|');
      const action = kind.words
        ? `COMPREPLY=($(compgen -W "${kind.words}" -- "$cur"))`
        : kind.dirs
          ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))'
          : kind.files
            ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
            : kind.interfaces
              ? 'compopt -o nosort 2>/dev/null; COMPREPLY=($(compgen -W "$(_asm_erdma_interfaces)" -- "$cur"))'
              : kind.kernels
                ? 'COMPREPLY=($(compgen -W "$(_asm_erdma_kernels)" -- "$cur"))'
                : 'COMPREPLY=()';
      valueCases.push(`    ${pattern}) ${action}; return ;;`);
    }
  }
  return `# bash completion for asm-erdma (generated from its commander program by scripts/package/docs.js)

# eRDMA NICs first (the netdevs of /sys/class/infiniband devices), then every other interface: no process runs.
_asm_erdma_interfaces() {
  local sys="\${ASM_ERDMA_SYSROOT:-}/sys/class" d n seen=" "
  for d in "$sys"/infiniband/*/device/net/*; do
    [[ -e $d ]] || continue
    n="\${d##*/}"
    [[ $seen == *" $n "* ]] && continue
    seen+="$n "
    printf '%s\\n' "$n"
  done
  for d in "$sys"/net/*; do
    [[ -e $d ]] || continue
    n="\${d##*/}"
    [[ $n == lo || $seen == *" $n "* ]] && continue
    printf '%s\\n' "$n"
  done
}

# Kernel releases installed (their module directories), as --min and --to take them: no yum, no network.
_asm_erdma_kernels() {
  local d
  for d in "\${ASM_ERDMA_SYSROOT:-}"/lib/modules/*; do
    [[ -d $d ]] && printf '%s\\n' "\${d##*/}"
  done
}

_asm_erdma() {
  local cur prev path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
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
  # --opt=value: bash splits it at '=' (COMP_WORDBREAKS), so the option is two words back; or it did not split.
  if [[ $prev == = ]]; then
    prev="\${COMP_WORDS[COMP_CWORD-2]}"
  elif [[ $cur == = ]]; then
    prev="\${COMP_WORDS[COMP_CWORD-1]}"
    cur=""
  elif [[ $cur == --*=* ]]; then
    prev="\${cur%%=*}"
    cur="\${cur#*=}"
  fi
  case "$path $prev" in
${valueCases.join('\n')}
  esac
  local words
  case "$path" in
${all.map((c) => `    "${sub(c)}") words="${words(c)}" ;;`).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _asm_erdma asm-erdma
`;
}
