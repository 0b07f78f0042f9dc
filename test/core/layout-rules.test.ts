/**
 * The layout rule, checked on the source: only the executor decides on dry-run, privileges are decided in one
 * place (the executor asks the Host's backend what the process holds), and workflows see the Host only through
 * its interface. A command or workflow that branches on dry-run, checks uid/capabilities itself or imports a
 * host internal fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

interface Source {
  path: string;
  text: string;
}

/** Code without comments (a `//` inside a string is rare enough here; a URL is only ever in a string anyway). */
function codeLines(text: string): string[] {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ''))
    .split('\n')
    .map((l) => l.replace(/(^|[^:'"`])\/\/.*$/, '$1'));
}

/** Where dry-run may be read: the executor owns it; elsewhere only passing the flag in and printing the report. */
const DRY_RUN_ALLOWED: { file: RegExp; line: RegExp }[] = [
  // The printed report says whether it was a dry run (the executor's answer, see withDryRun).
  { file: /^src\/commands\//, line: /\b(report|r)\.dryRun\b|\bdryRun\??: boolean\b/ },
  // The --dry-run flag becomes the Host's executor, and the report's field is the executor's answer.
  { file: /^src\/commands\/common\.ts$/, line: /\{ dryRun: Boolean\(o\.dryRun\)|dryRun: !ctx\.host\.changes\.applies/ },
  { file: /^src\/host\/node-host\.ts$/, line: /^\s*dryRun: boolean;$|new Executor\(.*\bo\.dryRun\)/ },
  // metrics is read-only by construction: it always runs on a dry-run host (its workflow refuses any other).
  { file: /^src\/commands\/metrics-command\.ts$/, line: /makeContext\(\{ dryRun: true, / },
];

/** Privilege facts are read only where they are defined and by the node's backend, which the executor asks. */
const PRIVILEGE = /\b(getuid|geteuid|hasNetAdmin|isRoot|effectiveCaps|CapEff)\b|'needsRoot'/;
const PRIVILEGE_ALLOWED: { file: RegExp; line: RegExp }[] = [
  { file: /^src\/host\/privileges\.ts$/, line: /./ },
  { file: /^src\/host\/node-host\.ts$/, line: /hasNetAdmin|isRoot/ },
  { file: /^src\/host\/executor\.ts$/, line: /'needsRoot'/ },
  // The run directory's owner must be root or us: an ownership check, not a privilege one.
  { file: /^src\/host\/owned-state\.ts$/, line: /const uid = process\.getuid\?\.\(\) \?\? 0;/ },
];

function layoutViolations(sources: Source[]): string[] {
  const found: string[] = [];
  for (const { path, text } of sources) {
    for (const [i, line] of codeLines(text).entries()) {
      const where = `${path}:${i + 1}: ${line.trim()}`;
      const allowed = (rules: { file: RegExp; line: RegExp }[]) =>
        rules.some((r) => r.file.test(path) && r.line.test(line));
      if (path !== 'src/host/executor.ts' && /\bdryRun\b/.test(line) && !allowed(DRY_RUN_ALLOWED)) {
        found.push(`dry-run outside the executor: ${where}`);
      }
      if (PRIVILEGE.test(line) && !allowed(PRIVILEGE_ALLOWED)) found.push(`privilege check outside the Host: ${where}`);
    }
  }
  return found;
}

function sourcesUnder(dir: string): Source[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => {
      const full = join(REPO_ROOT, dir, f);
      return { path: relative(REPO_ROOT, full), text: readFileSync(full, 'utf8') };
    });
}

test('src/: no dry-run branch outside the executor, no privilege check outside the Host', () => {
  const sources = sourcesUnder('src');
  assert.ok(
    sources.some((s) => s.path === 'src/host/executor.ts'),
    'the source tree was found',
  );
  assert.deepEqual(layoutViolations(sources), []);
});

/** What a workflow may import: pure core, the Host's interface and errors, and the shared error/log types. */
const WORKFLOW_IMPORT =
  /^(\.\.\/core\/[\w-]+|\.\.\/host\/host(-errors)?|\.\.\/exit-codes|\.\.\/ui\/logger|\.\/[\w-]+)\.js$/;

test('src/workflows/ import only core, host/host.ts and host/host-errors.ts (never host internals)', () => {
  const imports = sourcesUnder('src/workflows').flatMap(({ path, text }) =>
    [...text.matchAll(/^import [^;]*? from '([^']+)';$/gms)].map((m) => `${path}: ${m[1]}`),
  );
  assert.ok(imports.length > 20, 'the imports were found');
  assert.deepEqual(
    imports.filter((i) => !WORKFLOW_IMPORT.test(i.split(': ')[1] as string)),
    [],
  );
  assert.ok(!WORKFLOW_IMPORT.test('../host/executor.js') && !WORKFLOW_IMPORT.test('../host/rdma.js'));
});

test('the layout check finds what it forbids (so it can fail)', () => {
  const bad: Source[] = [
    { path: 'src/commands/nic-commands.ts', text: 'if (ctx.dryRun) return work();\nrequire(report.dryRun);' },
    { path: 'src/workflows/kernel.ts', text: 'const dry = o.dryRun ? 1 : 2; // dryRun in a comment is fine' },
    {
      path: 'src/commands/status-command.ts',
      text: "if (process.getuid?.() !== 0) throw new ExitError('needsRoot', 'x');",
    },
    { path: 'src/workflows/service.ts', text: 'if (!hasNetAdmin()) fail();\n/* isRoot() in a comment */' },
  ];
  assert.deepEqual(
    layoutViolations(bad).map((v) => v.split(': ').slice(0, 2).join(': ')),
    [
      'dry-run outside the executor: src/commands/nic-commands.ts:1',
      'dry-run outside the executor: src/workflows/kernel.ts:1',
      'privilege check outside the Host: src/commands/status-command.ts:1',
      'privilege check outside the Host: src/workflows/service.ts:1',
    ],
  );
});
