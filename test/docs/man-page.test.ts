/** asm-erdma(8) as `man` shows it in an 80-column terminal: every section, in order, nothing wider than 80. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, exitCodeMeaning, type ExitCodeName } from '../../src/exit-codes.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { prerequisite } from '../helpers/sim.js';
import { docs, generatedManPage } from './generated-docs.js';

const SECTIONS = [
  'NAME',
  'SYNOPSIS',
  'DESCRIPTION',
  'COMMANDS',
  'OPTIONS',
  'EXIT STATUS',
  'ENVIRONMENT',
  'FILES',
  'EXAMPLES',
  'SEE ALSO',
];

function hasMan(): string | undefined {
  try {
    execFileSync('man', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'man (man-db) is not installed: bash scripts/dev-setup.sh';
  }
}

/** The page as `man` renders it at 80 columns, plain text. */
function render(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-man-'));
  try {
    const file = join(dir, 'asm-erdma.8');
    writeFileSync(file, source);
    const env = { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', LANG: 'C.UTF-8' };
    const text = execFileSync('man', ['-l', file], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // Bold and underline are overstrikes (x\bx, _\bx) when not on a terminal.
    return text.replace(/.\u0008/g, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Section name → its lines (indented body). */
function sections(page: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of page.split('\n')) {
    if (/^[A-Z][A-Z ]+$/.test(line)) {
      current = [];
      out.set(line, current);
    } else current?.push(line);
  }
  return out;
}

test('the man page has every section in order, fits 80 columns, and states the exit codes and files', async (t) => {
  if (!prerequisite(t, hasMan())) return;
  const page = render(await generatedManPage());
  const lines = page.split('\n');
  const wide = lines.filter((l) => [...l].length > 80);
  assert.deepEqual(wide, [], 'every line fits 80 columns');
  const s = sections(page);
  assert.deepEqual(
    [...s.keys()].filter((k) => SECTIONS.includes(k)),
    SECTIONS,
    `sections in order; the page has: ${[...s.keys()].join(', ')}`,
  );
  const body = (name: string): string => (s.get(name) ?? []).join('\n').replace(/\s+/g, ' ');
  // EXIT STATUS: every code with its meaning, from src/exit-codes.ts.
  for (const k of Object.keys(ExitCode) as ExitCodeName[]) {
    const words = exitCodeMeaning[k].replace(/\s+/g, ' ');
    assert.ok(body('EXIT STATUS').includes(`${ExitCode[k]} ${words}`), `exit code ${ExitCode[k]} (${k})`);
  }
  for (const path of [
    '/etc/sysconfig/asm-erdma',
    '/run/asm-erdma/owned.json',
    '/etc/systemd/system/asm-erdma.service',
    '/etc/systemd/system/asm-erdma-hotplug@.service',
    '/etc/udev/rules.d/90-asm-erdma.rules',
  ])
    assert.ok(body('FILES').includes(path), `FILES names ${path}`);
  for (const env of ['NO_COLOR', 'ASM_ERDMA_RUN_DIR']) assert.ok(body('ENVIRONMENT').includes(env), env);
  // The global options once, in OPTIONS; not repeated under each command.
  for (const flag of ['--color <when>', '-q, --quiet', '-V, --version']) {
    assert.equal(page.split(flag).length - 1, 1, `${flag} appears once`);
    assert.ok(body('OPTIONS').includes(flag), `${flag} is in OPTIONS`);
  }
  for (const cmd of ['setup', 'reset', 'install-service', 'uninstall-service', 'kernel check', 'kernel list']) {
    assert.ok(
      s.get('COMMANDS')?.some((l) => l.trim() === cmd),
      `COMMANDS has ${cmd}`,
    );
  }
  for (const cmd of ['kernel upgrade', 'hotfix', 'status', 'diag']) {
    assert.ok(
      s.get('COMMANDS')?.some((l) => l.trim() === cmd),
      `COMMANDS has ${cmd}`,
    );
  }
  assert.ok(body('EXAMPLES').includes('asm-erdma status'), 'EXAMPLES');
});

test('the man page refers only to files the RPM installs', async () => {
  const source = (await generatedManPage()).replace(/\\-/g, '-');
  const { DOC_DIR } = await docs();
  // Every mention of the README or docs/ is under the doc directory the spec installs as %doc.
  for (const m of source.matchAll(/\S*(README|docs\/)\S*/g)) {
    const ref = m[0];
    assert.ok(ref.startsWith(`${DOC_DIR}/`) || /^\(?(README\.md|docs\/)/.test(ref), `a reference to ${ref}`);
  }
  assert.ok(source.includes(`${DOC_DIR}/README.md`));
  const spec = readFileSync(join(REPO_ROOT, 'scripts/package/asm-erdma.spec'), 'utf8');
  assert.match(spec, new RegExp(`^%doc ${DOC_DIR}$`, 'm'), 'the spec ships the doc directory');
  const release = readFileSync(join(REPO_ROOT, 'scripts/package/release.js'), 'utf8');
  assert.match(
    release,
    /'doc\/README\.md': readFileSync\(join\(REPO, 'README\.md'\)\)/,
    'release.js puts the README in',
  );
});
