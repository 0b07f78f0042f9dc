/**
 * docs/json.md against what the commands really print: every documented shape is compared, key by key and
 * level by level, with the --json document of that command (its workflow run on an in-memory node, wrapped the
 * way the command wraps it; --version and an error from the built CLI itself). A key the code prints and the doc
 * lacks fails, and so does a documented key the code never prints unless the doc marks it optional ("key?").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDryRun } from '../../src/commands/common.js';
import { Deadline } from '../../src/core/deadline.js';
import { parseKernelRelease, type KernelRelease } from '../../src/core/kernel-release.js';
import { runDiag } from '../../src/workflows/diag.js';
import { runMetrics } from '../../src/workflows/metrics.js';
import { runHotfix, runKernelCheck, runKernelList, runKernelUpgrade } from '../../src/workflows/kernel.js';
import { runReset } from '../../src/workflows/reset.js';
import { installService, uninstallService } from '../../src/workflows/service.js';
import { runSetup } from '../../src/workflows/setup.js';
import { runStatus } from '../../src/workflows/status.js';
import { CLI, REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { captureLog, FakeHost, node, podNetns, smcSocket } from '../helpers/fake-host.js';

const min = parseKernelRelease('5.10.134-16.3') as KernelRelease;
const log = () => captureLog().log;
const deadline = () => new Deadline(10_000);
const url = 'http://metadata.test';
/** As the command prints it: `dryRun` (the executor's answer) second (commands/common.ts withDryRun). */
const printed = <T extends { command: string }>(host: FakeHost, report: T) => withDryRun({ host } as never, report);

/** The documents each heading of docs/json.md stands for: every one must match the documented shape. */
async function actual(): Promise<Map<string, unknown[]>> {
  const docs = new Map<string, unknown[]>();
  const add = (heading: string, ...d: unknown[]) => docs.set(heading, [...(docs.get(heading) ?? []), ...d]);

  const fresh = new FakeHost(node(2));
  const setup = await runSetup(fresh, { interfaces: [], metadataUrl: url, deadline: deadline(), wait: false }, log());
  add('setup --json', printed(fresh, setup));
  const again = await runSetup(fresh, { interfaces: [], metadataUrl: url, deadline: deadline(), wait: false }, log());
  add('setup --json', printed(fresh, again));
  const reset = await runReset(fresh, { interfaces: [], all: false, metadataUrl: url, deadline: deadline() }, log());
  add('reset --json', printed(fresh, reset));

  const unit = { exec: '/usr/bin/asm-erdma', flags: { interfaces: [] } };
  const svc = new FakeHost(node(0));
  svc.state.files.set('/usr/bin/asm-erdma', '');
  const withMetrics = { root: undefined, now: true, keepLegacy: false, ...unit, metrics: { textfileDir: '/tmp/t' } };
  add('install-service --json', printed(svc, await installService(svc, withMetrics, log())));
  const dry = new FakeHost(node(0), { dryRun: true });
  dry.state.files.set('/mnt/image/usr/bin/asm-erdma', '');
  add(
    'install-service --json',
    printed(dry, await installService(dry, { root: '/mnt/image', now: false, keepLegacy: false, ...unit }, log())),
  );
  add('uninstall-service --json', printed(svc, await uninstallService(svc, { root: undefined, now: true }, log())));

  const old = node(0);
  old.running = '5.10.134-16.2.al8.x86_64';
  old.installed = ['5.10.134-16.2.al8.x86_64', '5.10.134-17.3.al8.x86_64'];
  old.available = ['5.10.134-16.2.al8.x86_64', '5.10.134-17.3.al8.x86_64'];
  add('kernel check --json', await runKernelCheck(new FakeHost(old), min));
  add('kernel list --json', await runKernelList(new FakeHost(old), min, log()));
  const upgradable = structuredClone(old);
  upgradable.installed = ['5.10.134-16.2.al8.x86_64'];
  const upgrade = { min, to: undefined, yes: true, reboot: false };
  const upgrading = new FakeHost(upgradable);
  add('kernel upgrade --json', printed(upgrading, await runKernelUpgrade(upgrading, upgrade, log())));
  const on163 = node(0);
  on163.running = '5.10.134-16.3.al8.x86_64';
  on163.installed = ['5.10.134-16.3.al8.x86_64'];
  on163.available = [...on163.installed];
  const hotfixing = new FakeHost(on163, { dryRun: true });
  add('hotfix --json', printed(hotfixing, await runHotfix(hotfixing, { yes: true, min }, log())));

  const notReady = new FakeHost(node(2));
  add('status --json', await runStatus(notReady, { min, metadataUrl: url, deadline: deadline() }, log()));
  const metricsOptions = { min, metadataUrl: url, deadline: deadline(), build: { version: '0.1.0', commit: null } };
  const metrics = await runMetrics(new FakeHost(node(2), { dryRun: true }), metricsOptions, log());
  add('metrics --json', { command: 'metrics', textfile: null, families: metrics.families });

  const smc = node(0);
  smc.smcSamples = [[smcSocket('SMCR'), smcSocket('TCP', 0x03030002)]];
  smc.netns = [podNetns('shop/cart-0', '1', [[smcSocket('SMCR'), smcSocket('TCP', 0x03030002)]])];
  const once = { watchSeconds: undefined, count: undefined, timeoutSeconds: 20, filter: {} };
  const one = await runDiag(new FakeHost(smc), once, () => undefined);
  add('diag --json', { command: 'diag', ...one.samples[0] });
  const watch = { ...once, watchSeconds: 0.001, count: 2 };
  const watched = await runDiag(new FakeHost(smc), watch, () => undefined);
  add('diag --watch --json', { command: 'diag', intervalSeconds: 5, samples: watched.samples });

  const version = execFileSync(process.execPath, [CLI, '--version', '--json'], { encoding: 'utf8' });
  add('--version --json', JSON.parse(version));
  const error = spawnSync(process.execPath, [CLI, 'setup', '--timeout', 'soon', '--json'], { encoding: 'utf8' });
  add('errors with --json', JSON.parse(error.stdout));
  return docs;
}

/** The ```json block under each "## `…`" heading of docs/json.md. */
function documented(): Map<string, unknown> {
  const text = readFileSync(join(REPO_ROOT, 'docs/json.md'), 'utf8');
  const out = new Map<string, unknown>();
  for (const m of text.matchAll(/^## `([^`]+)`[^\n]*\n(?:(?!## )[\s\S])*?```json\n([\s\S]*?)```/gm)) {
    out.set(m[1] as string, JSON.parse(m[2] as string));
  }
  return out;
}

const kind = (v: unknown): string =>
  Array.isArray(v) ? 'array' : v !== null && typeof v === 'object' ? 'object' : 'value';

/** Differences between a documented shape and one real document, as "path: what" lines. */
export function compare(doc: unknown, real: unknown, path = '$'): string[] {
  // A documented null or scalar stands for any scalar (e.g. "…" | null); objects and arrays must match in kind.
  if (kind(doc) === 'value') return kind(real) === 'value' ? [] : [`${path}: documented as a value, is ${kind(real)}`];
  if (kind(doc) !== kind(real)) return real === null ? [] : [`${path}: documented as ${kind(doc)}, is ${kind(real)}`];
  if (Array.isArray(doc)) {
    const [shape] = doc;
    if (shape === undefined) return [];
    return (real as unknown[]).flatMap((r, i) => compare(shape, r, `${path}[${i}]`));
  }
  const d = doc as Record<string, unknown>;
  const r = real as Record<string, unknown>;
  // {"*": shape}: a map whose keys are data (Prometheus labels), each value of that shape.
  if (Object.keys(d).length === 1 && '*' in d)
    return Object.entries(r).flatMap(([k, v]) => compare(d['*'], v, `${path}.${k}`));
  const problems: string[] = [];
  const documentedKeys = new Map(Object.keys(d).map((k) => [k.replace(/\?$/, ''), k]));
  for (const key of Object.keys(r)) {
    const dk = documentedKeys.get(key);
    if (dk === undefined) problems.push(`${path}.${key}: printed but not documented`);
    else problems.push(...compare(d[dk], r[key], `${path}.${key}`));
  }
  for (const [key, dk] of documentedKeys)
    if (!(key in r) && !dk.endsWith('?'))
      problems.push(`${path}.${key}: documented but not printed (mark it "${key}?")`);
  return problems;
}

test('docs/json.md documents every --json document the commands print, key for key', async () => {
  const docs = documented();
  const real = await actual();
  assert.deepEqual([...docs.keys()].sort(), [...real.keys()].sort(), 'one documented shape per command');
  const problems = [...real].flatMap(([heading, documents]) =>
    documents.flatMap((d) => compare(docs.get(heading), d).map((p) => `${heading}: ${p}`)),
  );
  assert.deepEqual([...new Set(problems)], []);
});

test('the shape comparison fails on an undocumented, a missing or a mistyped key', () => {
  assert.deepEqual(compare({ a: 1 }, { a: 2, b: 3 }), ['$.b: printed but not documented']);
  assert.deepEqual(compare({ a: 1, 'c?': 1 }, { a: 2 }), []);
  assert.match(String(compare({ a: 1, c: 1 }, { a: 2 })), /\$\.c: documented but not printed/);
  assert.match(String(compare({ a: [{ x: 1 }] }, { a: [{ y: 1 }] })), /\$\.a\[0\]\.y: printed but not documented/);
  assert.match(String(compare({ a: { x: 1 } }, { a: 'text' })), /documented as object, is value/);
  assert.deepEqual(compare({ l: { '*': 'v' } }, { l: { id: 'x', state: 'ok' } }), []);
  assert.match(String(compare({ l: { '*': 'v' } }, { l: { id: [] } })), /\$\.l\.id: documented as a value, is array/);
});

// ASM_ERDMA_DUMP_JSON=FILE writes the real documents, to write docs/json.md from.
const dump = process.env.ASM_ERDMA_DUMP_JSON;
if (dump) test('dump', async () => writeFileSync(dump, JSON.stringify(Object.fromEntries(await actual()), null, 2)));
