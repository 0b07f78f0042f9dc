/**
 * The bash completion as bash runs it: the generated script sourced in a real bash, COMP_WORDS/COMP_CWORD set as
 * readline would set them, the completion function called, COMPREPLY read back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { generatedCompletion } from './generated-docs.js';

const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-completion-'));
const script = join(dir, 'asm-erdma.bash');

/** A /sys and /lib/modules of a node: eth0 primary, eth2 and eth1 eRDMA (erdma_1 sorts before erdma_0's NIC). */
function sysroot(): string {
  const root = join(dir, 'root');
  for (const n of ['eth0', 'eth1', 'eth2', 'lo', 'docker0'])
    mkdirSync(join(root, 'sys/class/net', n), { recursive: true });
  mkdirSync(join(root, 'sys/class/infiniband/erdma_0/device/net/eth2'), { recursive: true });
  mkdirSync(join(root, 'sys/class/infiniband/erdma_1/device/net/eth1'), { recursive: true });
  for (const k of ['5.10.134-16.3.al8.x86_64', '5.10.134-17.3.al8.x86_64'])
    mkdirSync(join(root, 'lib/modules', k), { recursive: true });
  mkdirSync(join(dir, 'images/node-a'), { recursive: true });
  writeFileSync(join(dir, 'images/asm-erdma'), '');
  return root;
}

/** What bash offers for the command line typed so far (the last word is being completed). */
function complete(line: string[], env: Record<string, string> = {}): string[] {
  const words = line.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const body = [
    `source '${script}'`,
    `COMP_WORDS=(${words})`,
    `COMP_CWORD=${line.length - 1}`,
    `COMP_LINE="\${COMP_WORDS[*]}"`,
    `COMP_POINT=\${#COMP_LINE}`,
    `_asm_erdma asm-erdma "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', body], {
    encoding: 'utf8',
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return out.split('\n').filter(Boolean);
}

test('bash completion: registered for asm-erdma; commands, subcommands and options', async () => {
  writeFileSync(script, await generatedCompletion());
  const registered = execFileSync('bash', ['--norc', '-c', `source '${script}'; complete -p asm-erdma`], {
    encoding: 'utf8',
  });
  assert.equal(registered.trim(), 'complete -F _asm_erdma asm-erdma');
  assert.deepEqual(complete(['asm-erdma', 'ke']), ['kernel']);
  assert.deepEqual(
    complete(['asm-erdma', 'kernel', '']).filter((w) => !w.startsWith('-')),
    ['check', 'list', 'upgrade'],
  );
  assert.ok(complete(['asm-erdma', 'setup', '--d']).includes('--dry-run'));
  // The global options complete after a command too.
  assert.ok(complete(['asm-erdma', 'status', '--co']).includes('--color'));
});

test('bash completion: the values of every option with choices, from the program itself', async () => {
  writeFileSync(script, await generatedCompletion());
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  const program = buildProgram();
  const withChoices: [string[], Option][] = [];
  for (const c of all(program)) {
    const path: string[] = [];
    for (let p: Command | null = c; p?.parent; p = p.parent) path.unshift(p.name());
    for (const o of c.options) if (o.argChoices) withChoices.push([path, o]);
  }
  assert.ok(withChoices.length > 0, 'the program has options with choices (--color)');
  for (const [path, o] of withChoices) {
    const flag = o.long as string;
    assert.deepEqual(complete(['asm-erdma', ...path, flag, '']), o.argChoices, `${flag} <TAB>`);
    assert.deepEqual(complete(['asm-erdma', 'status', flag, 'n']), ['never'], `status ${flag} n<TAB>`);
    // bash splits --color=value at '=' (COMP_WORDBREAKS).
    assert.deepEqual(complete(['asm-erdma', ...path, flag, '=', '']), o.argChoices, `${flag}=<TAB>`);
  }
  // Not the command names (the old script offered those for any value).
  assert.ok(!complete(['asm-erdma', '--color', '']).includes('setup'));
});

test('bash completion: -i offers eRDMA NICs first, then other interfaces; --to offers kernels; paths', async () => {
  writeFileSync(script, await generatedCompletion());
  const env = { ASM_ERDMA_SYSROOT: sysroot() };
  assert.deepEqual(complete(['asm-erdma', 'setup', '-i', ''], env), ['eth2', 'eth1', 'docker0', 'eth0']);
  assert.deepEqual(complete(['asm-erdma', 'reset', '--interface', 'eth'], env), ['eth2', 'eth1', 'eth0']);
  assert.deepEqual(complete(['asm-erdma', 'kernel', 'upgrade', '--to', '5.10.134-17'], env), [
    '5.10.134-17.3.al8.x86_64',
  ]);
  assert.deepEqual(complete(['asm-erdma', 'status', '--min', ''], env), [
    '5.10.134-16.3.al8.x86_64',
    '5.10.134-17.3.al8.x86_64',
  ]);
  // --root takes a directory, --exec a file.
  assert.deepEqual(complete(['asm-erdma', 'install-service', '--root', 'images/'], env), ['images/node-a']);
  assert.deepEqual(complete(['asm-erdma', 'install-service', '--exec', 'images/a'], env), ['images/asm-erdma']);
  // A free value (seconds) offers nothing rather than a flag.
  assert.deepEqual(complete(['asm-erdma', 'setup', '--timeout', ''], env), []);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
