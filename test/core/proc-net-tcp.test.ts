import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListeners } from '../../src/core/proc-net-tcp.js';

// Real /proc/net/tcp and tcp6 layouts (kernel 5.10): a listener on 127.0.0.1:65501 and one on [::]:22,
// an established connection (state 01) that is not a listener.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:FFDD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0B00A8C0:0016 0C00A8C0:9C40 01 00000000:00000000 02:000A7B2C 00000000     0        0 123457 4 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22222 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000B00A8C0:FFEB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 33333 1 0000000000000000 100 0 0 10 0
`;

test('listeners only, with address (::ffff:c0a8:b is ::ffff:192.168.0.11), port and inode decoded', () => {
  assert.deepEqual(parseListeners(TCP), [{ address: '127.0.0.1', port: 65501, inode: 123456 }]);
  assert.deepEqual(parseListeners(TCP6), [
    { address: '::', port: 22, inode: 22222 },
    { address: '::ffff:c0a8:b', port: 65515, inode: 33333 },
  ]);
  assert.deepEqual(parseListeners(''), []);
  assert.deepEqual(parseListeners('header\n garbage line\n'), []);
});
