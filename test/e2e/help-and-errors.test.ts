/**
 * Help and usage errors of the built CLI, run as a user would (no namespace needed: every invocation here stops at
 * argument parsing or prints help/version, so nothing reaches the node).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { runCli } from '../helpers/cli.js';

const COMMANDS = [
  [],
  ['setup'],
  ['reset'],
  ['install-service'],
  ['uninstall-service'],
  ['kernel'],
  ['kernel', 'check'],
  ['kernel', 'list'],
  ['kernel', 'upgrade'],
  ['hotfix'],
  ['status'],
  ['metrics'],
];

test('help, help CMD and help CMD SUB exit 0 and print what --help prints', async () => {
  for (const cmd of COMMANDS) {
    const flag = await runCli([...cmd, '--help']);
    assert.equal(flag.exitCode, 0, `${cmd.join(' ')} --help: ${flag.stderr}`);
    const word = await runCli(['help', ...cmd]);
    assert.equal(word.exitCode, 0, `help ${cmd.join(' ')}: ${word.stderr}`);
    assert.equal(word.stdout, flag.stdout, `help ${cmd.join(' ')}`);
    assert.equal(word.stderr, '');
    assert.match(flag.stdout, /^Examples:$/m, `${cmd.join(' ') || 'top-level'} help has examples`);
    assert.doesNotMatch(flag.stdout, /\(default: \[\]\)/, `${cmd.join(' ')} help`);
  }
  const top = await runCli(['help']);
  assert.match(top.stdout, /^Usage: asm-erdma \[options\] \[command\]/);
  assert.match(top.stdout, /--color <when>/);
  assert.match(top.stdout, /-q, --quiet/);
  assert.match(top.stdout, /\/etc\/sysconfig\/asm-erdma/);
  assert.match((await runCli(['help', 'kernel', 'check'])).stdout, /^Usage: asm-erdma kernel check \[options\]/);
  const upgrade = await runCli(['kernel', 'upgrade', '--help']);
  assert.match(
    upgrade.stdout.replace(/\s+/g, ' '),
    new RegExp(
      String.raw`below --min, install the newest kernel the repositories offer \(nothing to do at or above it\); ` +
        'with --to R, install exactly R',
    ),
  );
});

test('every usage error is one line, error: <what> (<what to do>), exit 2', async () => {
  const cases: [string[], string][] = [
    [['stup'], "error: unknown command 'stup' (did you mean setup? asm-erdma --help lists the commands)"],
    [['help', 'stup'], "error: unknown command 'stup' (did you mean setup? asm-erdma --help lists the commands)"],
    [
      ['help', 'kernel', 'chek'],
      "error: unknown command 'chek' (did you mean check? asm-erdma kernel --help lists the commands)",
    ],
    [
      ['kernel', 'chek'],
      "error: unknown command 'chek' (did you mean check? asm-erdma kernel --help lists the commands)",
    ],
    [['setup', '--jsn'], "error: unknown option '--jsn' (did you mean --json? see asm-erdma setup --help)"],
    [['setup', '--timeout'], 'error: --timeout needs a value (e.g. --timeout 30; see asm-erdma setup --help)'],
    [
      ['kernel', 'check', '--min'],
      'error: --min needs a value (e.g. --min 5.10.134-17.3; see asm-erdma kernel check --help)',
    ],
    [
      ['setup', '--timeout', 'soon'],
      "error: --timeout 'soon': must be a number of seconds above 0 and at most 3600 (e.g. --timeout 30)",
    ],
    [
      ['setup', '-i', 'a/b'],
      "error: --interface: 'a/b' is not a valid interface name (e.g. eth1: 1 to 15 characters, no /, : or spaces)",
    ],
    [
      ['reset', '--metadata-url', 'ftp://x'],
      "error: --metadata-url: 'ftp://x' is not an http:// or https:// URL (e.g. --metadata-url http://100.100.100.200)",
    ],
    [
      ['setup', 'eth1'],
      "error: asm-erdma setup takes no argument 'eth1' (it takes only options; see asm-erdma setup --help)",
    ],
    [
      ['kernel'],
      'error: asm-erdma kernel needs a command: check, list, upgrade (e.g. asm-erdma kernel check; see asm-erdma ' +
        'kernel --help)',
    ],
    [[], 'error: no command given (e.g. asm-erdma status; asm-erdma --help lists every command)'],
    [['--color=sometimes', 'status'], "error: --color 'sometimes': must be auto, always or never (e.g. --color=never)"],
    [['setup', '-q', '-v'], 'error: -q/--quiet and -v/--verbose cannot be combined (use only one of them)'],
    [
      ['kernel', 'check', '--min', 'latest'],
      "error: --min 'latest' is not a kernel release like 5.10.134-16.3 (e.g. --min 5.10.134-17.3; asm-erdma " +
        'kernel list shows them)',
    ],
  ];
  for (const [args, line] of cases) {
    const r = await runCli(args);
    assert.equal(r.exitCode, 2, args.join(' '));
    assert.equal(r.stderr, line, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('with --json a usage error is also the one JSON document on stdout, hint included', async () => {
  const r = await runCli(['kernel', 'check', '--json', '--min', 'latest']);
  assert.equal(r.exitCode, 2);
  assert.deepEqual(JSON.parse(r.stdout), {
    error: {
      code: 2,
      name: 'usage',
      message: "--min 'latest' is not a kernel release like 5.10.134-16.3",
      hint: 'e.g. --min 5.10.134-17.3; asm-erdma kernel list shows them',
    },
  });
});

test('--version prints the version; --version --json prints {version, commit, node, built}', async () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag]);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, pkg.version);
  }
  const r = await runCli(['--version', '--json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ['version', 'commit', 'node', 'built']);
  assert.equal(doc.version, pkg.version);
  assert.equal(doc.node, process.version);
  // The commit dist/ was built from (-dirty with local changes); null when built outside a git checkout.
  const head = await execa('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, reject: false });
  if (head.exitCode === 0) assert.match(String(doc.commit), new RegExp(`^${String(head.stdout).trim()}(-dirty)?$`));
  else assert.equal(doc.commit, null);
  const built = Date.parse(String(doc.built));
  assert.ok(built > Date.parse('2024-01-01') && built <= Date.now(), String(doc.built));
});
