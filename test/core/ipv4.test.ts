import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv4, netmaskToPrefix, parseIPv4, sameSubnet } from '../../src/core/ipv4.js';

test('parseIPv4 accepts strict dotted quads only', () => {
  assert.equal(parseIPv4('192.168.0.11'), 0xc0a8000b);
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of [
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4\n',
    'a.b.c.d',
    '',
    '<html>',
    '1.2.3.-4',
  ]) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
  assert.equal(formatIPv4(0xc0a8000b), '192.168.0.11');
});

test('netmaskToPrefix rejects non-contiguous masks', () => {
  assert.equal(netmaskToPrefix('255.255.255.0'), 24);
  assert.equal(netmaskToPrefix('255.255.240.0'), 20);
  assert.equal(netmaskToPrefix('255.255.255.255'), 32);
  assert.equal(netmaskToPrefix('0.0.0.0'), 0);
  assert.equal(netmaskToPrefix('255.0.255.0'), undefined);
  assert.equal(netmaskToPrefix('255.255.255.1'), undefined);
  assert.equal(netmaskToPrefix('24'), undefined);
});

test('sameSubnet', () => {
  const ip = parseIPv4('192.168.0.11') as number;
  assert.equal(sameSubnet(ip, parseIPv4('192.168.0.253') as number, 24), true);
  assert.equal(sameSubnet(ip, parseIPv4('192.168.1.253') as number, 24), false);
  assert.equal(sameSubnet(ip, parseIPv4('192.168.15.1') as number, 20), true);
});
