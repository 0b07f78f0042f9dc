import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathInsideRoot, volatileReason } from '../../src/core/exec-path.js';

test('pathInsideRoot: a path under the root is named from it; outside or a mere prefix is not', () => {
  assert.equal(pathInsideRoot('/tmp/img/usr/bin/asm-erdma', '/tmp/img'), '/usr/bin/asm-erdma');
  assert.equal(pathInsideRoot('/tmp/img/usr/bin/asm-erdma', '/tmp/img/'), '/usr/bin/asm-erdma');
  assert.equal(pathInsideRoot('/tmp/img2/usr/bin/asm-erdma', '/tmp/img'), undefined);
  assert.equal(pathInsideRoot('/usr/bin/asm-erdma', '/'), '/usr/bin/asm-erdma');
});

test('volatileReason: tmpfs and cleaned directories, home directories; lasting places are fine', () => {
  assert.match(volatileReason('/tmp/a', undefined) ?? '', /under \/tmp, which a reboot may clear/);
  assert.match(volatileReason('/var/run/a', undefined) ?? '', /under \/var\/run/);
  assert.match(volatileReason('/root/a', undefined) ?? '', /home directory \(\/root\)/);
  assert.match(volatileReason('/data/me/a', '/data/me') ?? '', /home directory \(\/data\/me\)/);
  for (const lasting of ['/usr/bin/asm-erdma', '/opt/tmp/a', '/tmpfoo/a', '/homework/a', '/usr/local/bin/a']) {
    assert.equal(volatileReason(lasting, '/'), undefined, lasting);
  }
});
