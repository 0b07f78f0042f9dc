/**
 * The Ansible role as the ecosystem expects it: ansible-lint (Debian's, offline: it must not fetch collections)
 * passes over deploy/ansible, and Ansible itself checks the role's variables against meta/argument_specs.yml
 * before anything runs (run for real with ansible-playbook on localhost, only the tasks tagged always).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { prerequisite } from '../helpers/sim.js';

const ANSIBLE = join(REPO_ROOT, 'deploy/ansible');

function missing(tool: string, pkg: string): string | undefined {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${tool} is not installed (Debian package ${pkg}: bash scripts/dev-setup.sh)`;
  }
}

test('ansible-lint passes over deploy/ansible, offline', (t) => {
  if (!prerequisite(t, missing('ansible-lint', 'ansible-lint'))) return;
  const home = mkdtempSync(join(tmpdir(), 'asm-erdma-lint-'));
  try {
    // A fresh HOME: no user config or cached collections help it; --offline: nothing is downloaded.
    const r = spawnSync('ansible-lint', ['--offline', '--nocolor'], {
      cwd: ANSIBLE,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1', ANSIBLE_LOCAL_TEMP: join(home, 'tmp') },
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(`${r.stdout}\n${r.stderr}`, /Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

/** ansible-playbook on localhost running only the tasks tagged always: argument validation and the role's assert. */
function validate(extraVars: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'asm-erdma-argspec-'));
  try {
    const play = join(dir, 'play.yml');
    writeFileSync(play, '- hosts: localhost\n  gather_facts: false\n  roles: [asm_erdma]\n');
    const vars = Object.entries(extraVars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = spawnSync(
      'ansible-playbook',
      ['-i', 'localhost,', '-c', 'local', play, '--tags', 'only-the-always-tasks', ...vars],
      {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          ANSIBLE_ROLES_PATH: join(ANSIBLE, 'roles'),
          ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
          ANSIBLE_NOCOLOR: '1',
          ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
        },
      },
    );
    return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('meta/argument_specs.yml: Ansible refuses a wrong choice or type before any task runs', (t) => {
  if (!prerequisite(t, missing('ansible-playbook', 'ansible-core'))) return;
  const ok = validate({ asm_erdma_rpm_src: 'asm-erdma' });
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, /Validating arguments against arg spec 'main'/);
  const choice = validate({ asm_erdma_rpm_src: 'asm-erdma', asm_erdma_install: 'docker' });
  assert.equal(choice.status, 2, choice.out);
  assert.match(choice.out, /value of asm_erdma_install must be one of: rpm, binary, none, got: docker/);
  const type = validate({ asm_erdma_rpm_src: 'asm-erdma', asm_erdma_timeout: 'soon' });
  assert.equal(type.status, 2, type.out);
  assert.match(type.out, /asm_erdma_timeout/);
});

test('every task of the role carries one of the tags install, kernel, configure, gate (or always)', (t) => {
  if (!prerequisite(t, missing('python3', 'python3-yaml'))) return;
  // PyYAML comes with ansible-core: read the task files as Ansible does.
  const script = [
    'import glob, json, yaml',
    `files = sorted(glob.glob('${join(ANSIBLE, 'roles/asm_erdma/tasks')}/*.yml'))`,
    'print(json.dumps({f.split("/")[-1]: [[t.get("name"), t.get("tags", [])] for t in yaml.safe_load(open(f))]',
    '                  for f in files}))',
  ].join('\n');
  const byFile = JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8' })) as Record<
    string,
    [string, string[]][]
  >;
  const steps = ['install', 'kernel', 'configure', 'gate', 'always'];
  const seen = new Set<string>();
  for (const [file, tasks] of Object.entries(byFile)) {
    // main.yml imports the other files statically: its imports carry no tags (theirs are inside).
    if (file === 'main.yml') continue;
    for (const [name, tags] of tasks) {
      assert.ok(
        tags.some((tag) => steps.includes(tag)),
        `${file}: '${name}' has tags ${JSON.stringify(tags)}`,
      );
      for (const tag of tags) seen.add(tag);
    }
  }
  for (const step of ['install', 'kernel', 'configure', 'gate'])
    assert.ok(seen.has(step), `some task is tagged ${step}`);
});
