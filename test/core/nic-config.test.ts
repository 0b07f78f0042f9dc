import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shorten, validateNicMetadata } from '../../src/core/nic-config.js';

const good = { 'primary-ip-address': '192.168.0.11', netmask: '255.255.255.0', gateway: '192.168.0.253' };

test('valid answers become a config', () => {
  assert.deepEqual(validateNicMetadata(good), {
    ok: true,
    config: { address: '192.168.0.11', prefix: 24, gateway: '192.168.0.253' },
  });
  assert.deepEqual(validateNicMetadata({ ...good, netmask: '255.255.255.0\n' }).ok, true);
});

test('each bad answer names its key', () => {
  const cases: [Partial<typeof good>, string][] = [
    [{ 'primary-ip-address': '<html><body>502 Bad Gateway</body></html>' }, 'primary-ip-address'],
    [{ 'primary-ip-address': '' }, 'primary-ip-address'],
    [{ netmask: '255.0.255.0' }, 'netmask'],
    [{ netmask: '255.255.255.255' }, 'netmask'],
    [{ gateway: '10.0.0.1' }, 'gateway'],
    [{ gateway: 'gateway' }, 'gateway'],
    [{ 'primary-ip-address': '192.168.0.0' }, 'primary-ip-address'],
    [{ 'primary-ip-address': '192.168.0.255' }, 'primary-ip-address'],
  ];
  for (const [patch, key] of cases) {
    const v = validateNicMetadata({ ...good, ...patch });
    assert.equal(v.ok, false, JSON.stringify(patch));
    if (!v.ok) assert.equal(v.key, key);
  }
});

test('shorten keeps errors on one line', () => {
  assert.equal(shorten(''), '(empty)');
  assert.equal(shorten(`<html>\n<body>\n${'x'.repeat(100)}`).length, 40);
  assert.ok(!shorten('a\nb').includes('\n'));
});
