import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseListeners } from '../../src/core/proc-net-tcp.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

// Real /proc/net/tcp and tcp6 layouts (kernel 5.10), in test/fixtures/proc: a listener on 127.0.0.1:65501 and
// one on [::]:22 and [::ffff:192.168.0.11]:65515, an established connection (state 01) that is not a listener.
const TCP = readFileSync(join(REPO_ROOT, 'test/fixtures/proc/net-tcp.txt'), 'utf8');
const TCP6 = readFileSync(join(REPO_ROOT, 'test/fixtures/proc/net-tcp6.txt'), 'utf8');

test('listeners only, address (::ffff:c0a8:b is ::ffff:192.168.0.11) and port decoded', () => {
  assert.deepEqual(parseListeners(TCP), [{ address: '127.0.0.1', port: 65501 }]);
  assert.deepEqual(parseListeners(TCP6), [
    { address: '::', port: 22 },
    { address: '::ffff:c0a8:b', port: 65515 },
  ]);
  assert.deepEqual(parseListeners(''), []);
  assert.deepEqual(parseListeners('header\n garbage line\n'), []);
});
