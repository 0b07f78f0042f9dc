import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execWord, parseInstalledOptions, renderUnit, setupArgs } from '../../src/core/unit.js';

const base = {
  exec: ['/usr/bin/node', '/usr/lib/node_modules/asm-erdma/bin/asm-erdma.js'],
  timeoutSeconds: 120,
  interfaces: [],
};

test("the unit: oneshot after network-online, before kubelet, timeout above setup's deadline", () => {
  const unit = renderUnit(base);
  for (const line of [
    'Wants=network-online.target',
    'After=network-online.target',
    'Before=kubelet.service',
    'Type=oneshot',
    'RemainAfterExit=yes',
    'ExecStart=/usr/bin/node /usr/lib/node_modules/asm-erdma/bin/asm-erdma.js setup --wait --timeout 120',
    'TimeoutStartSec=150',
    'WantedBy=multi-user.target',
    'UnsetEnvironment=NODE_OPTIONS',
  ]) {
    assert.ok(unit.split('\n').includes(line), line);
  }
  assert.ok(!/Requires=kubelet/.test(unit));
});

test('the standalone binary is one ExecStart word, not two', () => {
  const unit = renderUnit({ ...base, exec: ['/usr/bin/asm-erdma'] });
  assert.ok(unit.split('\n').includes('ExecStart=/usr/bin/asm-erdma setup --wait --timeout 120'), unit);
  assert.deepEqual(parseInstalledOptions(unit), { timeoutSeconds: 120, interfaces: [] });
});

test('options reach ExecStart', () => {
  assert.deepEqual(
    setupArgs({ ...base, timeoutSeconds: 60, metadataUrl: 'http://127.0.0.1:8080', interfaces: ['eth1', 'eth2'] }),
    [
      'setup',
      '--wait',
      '--timeout',
      '60',
      '--metadata-url',
      'http://127.0.0.1:8080',
      '--interface',
      'eth1',
      '--interface',
      'eth2',
    ],
  );
});

test('ExecStart words survive systemd quoting, specifiers and variables', () => {
  assert.equal(execWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(execWord('/opt/my tools/cli.js'), '"/opt/my tools/cli.js"');
  assert.equal(execWord('/opt/100%/cli.js'), '/opt/100%%/cli.js');
  assert.equal(execWord('/opt/$HOME/cli.js'), '/opt/$$HOME/cli.js');
  assert.equal(execWord('/opt/a"b\\c'), '"/opt/a\\"b\\\\c"');
});

test('hot-plug: the udev rule wants a template instance per eRDMA device, which runs setup --wait', async () => {
  const { renderHotplugUnit, renderUdevRule } = await import('../../src/core/hotplug.js');
  const rule = renderUdevRule()
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(rule, [
    'ACTION=="add", SUBSYSTEM=="infiniband", KERNEL=="erdma_*", TAG+="systemd", ' +
      'ENV{SYSTEMD_WANTS}+="asm-erdma-hotplug@%k.service"',
  ]);
  const unit = renderHotplugUnit({ ...base, interfaces: ['eth1'] }).split('\n');
  for (const line of [
    'After=network-online.target asm-erdma.service',
    'Type=oneshot',
    'ExecStart=/usr/bin/node /usr/lib/node_modules/asm-erdma/bin/asm-erdma.js setup --wait --timeout 120 ' +
      '--interface eth1',
    'TimeoutStartSec=150',
  ]) {
    assert.ok(unit.includes(line), line);
  }
  assert.ok(!unit.some((l) => l.startsWith('RemainAfterExit=yes')), 'each device add must run it again');
  assert.ok(!unit.includes('[Install]'), 'udev pulls it in; nothing to enable');
});
