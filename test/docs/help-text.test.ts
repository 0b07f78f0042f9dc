/** --help says only what is true of the command: every option it names is one the command (or the program) has. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { buildProgram, invokedCommand } from '../../src/cli.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

test("every --option a command's help names is one it takes (reset has no --wait)", () => {
  const program = buildProgram();
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  const longs = (c: Command) => c.options.map((o) => o.long).filter(Boolean) as string[];
  /** The command an example line runs (`asm-erdma install-service --metrics`), else undefined. */
  const commandOf = (line: string): Command | undefined => {
    const words = /\basm-erdma((?: [a-z][a-z-]*)+)/.exec(line)?.[1]?.trim().split(' ') ?? [];
    let cmd: Command | undefined;
    for (const w of words) {
      const next: Command | undefined = (cmd ?? program).commands.find((c) => c.name() === w);
      if (!next) break;
      cmd = next;
    }
    return cmd;
  };
  for (const cmd of all(program).slice(1)) {
    if (cmd.name() === 'help') continue;
    const unknown = new Set<string>();
    for (const line of helpOf(cmd).split('\n')) {
      const target = commandOf(line) ?? cmd;
      const known = new Set([...longs(target), ...longs(program), '--help']);
      // A parent's examples may name its subcommands' options (kernel → kernel upgrade --to).
      for (const sub of target.commands) for (const l of longs(sub)) known.add(l);
      for (const m of line.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) if (!known.has(m[0])) unknown.add(m[0]);
    }
    assert.deepEqual([...unknown], [], `${cmd.name()} --help names options it does not have`);
  }
});

test('a run that names its command builds only that command, with the same options and help as ever', () => {
  const full = buildProgram();
  const names = (c: Command): string[] => c.commands.map((x) => x.name()).filter((n) => n !== 'help');
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  const shape = (c: Command) => all(c).map((x) => [x.name(), x.helpInformation(), x.options.map((o) => o.flags)]);
  for (const name of names(full)) {
    const lean = buildProgram([name, '--json']);
    assert.ok(names(lean).includes(name), name);
    assert.ok(names(lean).length <= 2, `${name}: ${names(lean).join(', ')}`);
    const of = (p: Command) => p.commands.find((c) => c.name() === name) as Command;
    assert.deepEqual(shape(of(lean)), shape(of(full)), name);
  }
  assert.deepEqual(names(buildProgram(['help', 'setup'])), names(full));
});

test('only global options may come before the command a run names; anything else gets the whole program', () => {
  assert.equal(invokedCommand(['setup', '-i', 'eth1']), 'setup');
  assert.equal(invokedCommand(['--color', 'never', '-q', 'status']), 'status');
  assert.equal(invokedCommand(['--color=always', '--quiet', 'kernel', 'check']), 'kernel');
  assert.equal(invokedCommand(['--color', 'setup']), undefined);
  for (const args of [[], ['help', 'setup'], ['--json', 'setup'], ['setpu'], ['--help'], ['-qv', 'setup']]) {
    assert.equal(invokedCommand(args), undefined, args.join(' '));
  }
});

test('npm ci runs no install script that package.json does not declare (npm 11 allowScripts)', (t) => {
  const r = spawnSync('npm', ['approve-scripts', '--allow-scripts-pending'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0 && /Unknown command|not a valid npm command|approve-scripts/i.test(`${r.stdout}${r.stderr}`)) {
    // Before npm 11.16 there is no allowScripts, and nothing to warn about.
    t.skip(`this npm has no approve-scripts: ${r.stderr.split('\n')[0]}`);
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /No packages with unreviewed install scripts/);
});
