import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TEXTFILE_DIR,
  renderMetricsService,
  renderMetricsTimer,
  textfileDirProblem,
} from '../../src/core/metrics-unit.js';
import { describeEffect } from '../../src/core/effects.js';
import { planInstall, planUninstall } from '../../src/core/service-plan.js';
import { directivesUsed, OLDEST_SYSTEMD, UNIT_DIRECTIVES } from '../../src/core/unit-sandbox.js';

const service = renderMetricsService({ exec: ['/usr/bin/asm-erdma'], textfileDir: DEFAULT_TEXTFILE_DIR });

test('the metrics units use only directives systemd 239 knows (the table of core/unit-sandbox)', () => {
  for (const [name, text] of [
    ['service', service],
    ['timer', renderMetricsTimer()],
  ]) {
    for (const d of directivesUsed(text as string)) {
      const entry = UNIT_DIRECTIVES[d];
      assert.ok(entry, `${name}: ${d} is not in UNIT_DIRECTIVES`);
      assert.ok(entry.since <= OLDEST_SYSTEMD, `${name}: ${d} came in systemd ${entry.since}`);
    }
  }
});

test('the metrics service: oneshot, sandboxed like the boot unit, writable only in the textfile directory', () => {
  const lines = service.split('\n');
  assert.ok(lines.includes('Type=oneshot'));
  assert.ok(lines.includes(`ExecStart=/usr/bin/asm-erdma metrics --textfile ${DEFAULT_TEXTFILE_DIR}`));
  assert.ok(lines.includes('ProtectSystem=strict'));
  // Entering the pods' network namespaces (test/e2e/real-boot.test.ts proves each is needed): nothing more.
  assert.ok(lines.includes('CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE'));
  assert.ok(lines.includes('RestrictNamespaces=net'));
  assert.deepEqual(
    lines.filter((l) => /^(ReadWritePaths|RuntimeDirectory|StateDirectory)=/.test(l)),
    [`ReadWritePaths=${DEFAULT_TEXTFILE_DIR}`],
    "only DIR: never setup's run directory",
  );
  assert.ok(!lines.some((l) => l.startsWith('[Install]')), 'the timer starts it');
  const timer = renderMetricsTimer().split('\n');
  assert.ok(timer.includes('OnUnitActiveSec=60'));
  assert.ok(timer.some((l) => /^RandomizedDelaySec=[1-9]/.test(l)));
  assert.ok(timer.includes('WantedBy=timers.target'));
});

test('textfile directories: absolute, plain characters, no dot components', () => {
  assert.equal(textfileDirProblem('/var/lib/node_exporter/textfile_collector'), undefined);
  assert.match(textfileDirProblem('textfile') ?? '', /absolute/);
  assert.match(textfileDirProblem('/var/lib/my dir') ?? '', /no spaces/);
  assert.match(textfileDirProblem('/var/%h') ?? '', /no spaces/);
  assert.match(textfileDirProblem('/var/lib/../etc') ?? '', /\.\./);
});

const file = (path: string, desired: string, previous?: string) => ({ path, desired, previous });

test('install with metrics: both files, one reload, the timer enabled; a second run does nothing', () => {
  const base = {
    root: undefined,
    unit: file('/u', 'U', 'U'),
    hotplug: [],
    enabled: 'enabled',
    legacyEnabled: 'not-found',
  };
  const first = planInstall({
    ...base,
    metrics: { files: [file('/s', 'S'), file('/t', 'T')], timerEnabled: 'not-found' },
  });
  assert.deepEqual(
    first.effects.map((e) => [
      e.kind,
      'path' in e ? e.path : e.kind === 'systemctl' ? `${e.verb} ${e.unit ?? ''}` : '',
    ]),
    [
      ['write-file', '/s'],
      ['write-file', '/t'],
      ['systemctl', 'daemon-reload '],
      ['systemctl', 'enable asm-erdma-metrics.timer'],
    ],
  );
  assert.equal(first.metrics, 'created');
  const again = planInstall({
    ...base,
    metrics: { files: [file('/s', 'S', 'S'), file('/t', 'T', 'T')], timerEnabled: 'enabled' },
  });
  assert.deepEqual(again.effects, []);
  assert.equal(again.metrics, 'unchanged');
  assert.equal(planInstall(base).metrics, undefined, 'not asked: not reported');
});

test('uninstall: the timer is stopped (--now) and disabled, its files removed, before the boot unit', () => {
  const gone = (path: string) => ({ path, previous: undefined, exists: false });
  const there = (path: string) => ({ path, previous: 'x', exists: true });
  const plan = planUninstall({
    root: undefined,
    unit: there('/u'),
    hotplug: [],
    enabled: 'enabled',
    stop: true,
    metrics: { files: [there('/s'), there('/t')], timerEnabled: 'enabled' },
  });
  assert.deepEqual(
    plan.effects.map((e) => (e.kind === 'systemctl' ? `${e.verb} ${e.unit ?? ''}`.trim() : describeEffect(e))),
    [
      'stop asm-erdma-metrics.timer',
      'stop asm-erdma.service',
      'disable asm-erdma-metrics.timer',
      'disable asm-erdma.service',
      'remove /s',
      'remove /t',
      'remove /u',
      'daemon-reload',
    ],
  );
  assert.equal(plan.metrics, 'removed');
  const none = planUninstall({
    root: undefined,
    unit: gone('/u'),
    hotplug: [],
    enabled: 'not-found',
    stop: true,
    metrics: { files: [gone('/s'), gone('/t')], timerEnabled: 'not-found' },
  });
  assert.deepEqual(none.effects, []);
  assert.equal(none.metrics, 'absent');
});
