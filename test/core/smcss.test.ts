import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostOf, parseSmcss, smcDiagMissing, splitNetnsOutput, summarize } from '../../src/core/smcss.js';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

const fixture = (f: string) => readFileSync(join(REPO_ROOT, 'test/fixtures/smc', f), 'utf8');
const at = new Date('2026-11-30T06:00:00Z');

test('smcss -a -W: every socket with its state, peer, mode and fallback reasons', () => {
  const sockets = parseSmcss(fixture('smcss-a-W-mixed.out'));
  assert.equal(sockets.length, 10);
  assert.deepEqual(sockets[0], {
    state: 'LISTEN',
    peer: undefined,
    mode: undefined,
    reason: undefined,
    peerReason: undefined,
  });
  assert.deepEqual(
    sockets.find((s) => s.state === 'APPCLOSEWAIT1'),
    {
      state: 'APPCLOSEWAIT1',
      peer: '192.168.0.41:40000',
      mode: 'TCP',
      reason: 0x05000000,
      peerReason: 0x03010000,
    },
  );
  assert.equal(sockets.filter((s) => s.mode === 'SMCR').length, 2);
});

test('summary: SMC-R vs fallen back, grouped by reason (peer reason apart), peers by address', () => {
  const s = summarize(parseSmcss(fixture('smcss-a-W-mixed.out')), at);
  assert.deepEqual([s.connections, s.smcr, s.smcd, s.fellBack, s.listening], [7, 2, 0, 5, 1]);
  assert.deepEqual(
    s.reasons.map((g) => [g.code, g.name, g.peerName, g.count]),
    [
      ['0x03030002', 'NOSMCRDEV', null, 3],
      ['0x03070000', 'DIFFPREFIX', null, 1],
      ['0x05000000/0x03010000', 'PEERDECL', 'PEERNOSMC', 1],
    ],
  );
  assert.deepEqual(s.reasons[0]?.peers, [
    { address: '::ffff:192.168.0.40', count: 2 },
    { address: '192.168.0.41', count: 1 },
  ]);
  assert.match(s.reasons[2]?.fix ?? '', /^on the peer node: /);
  assert.equal(s.at, '2026-11-30T06:00:00.000Z');
});

test('all SMC-R: nothing fell back; an empty table is no connection', () => {
  const header = fixture('smcss-R-mixed.out').split('\n')[0] as string;
  const smcr = summarize(parseSmcss(fixture('smcss-R-mixed.out')), at);
  assert.deepEqual([smcr.connections, smcr.smcr, smcr.fellBack, smcr.reasons.length], [2, 2, 0, 0]);
  assert.deepEqual(summarize(parseSmcss(`${header}\n`), at).connections, 0);
});

test('without -W smcss truncates long addresses; a TCP socket without a reason is grouped as UNKNOWN', () => {
  const sockets = parseSmcss(fixture('smcss-mixed.out'));
  assert.equal(sockets.find((s) => s.peer?.startsWith('::ffff'))?.peer, '::ffff:192.168...:39999');
  const header = 'State          UID   Inode   Local Address           Peer Address            Intf Mode ';
  const row = 'ACTIVE         00000 0041235 1.2.3.4:80              5.6.7.8:9               0002 TCP ';
  const s = summarize(parseSmcss(`${header}\n${row}\n`), at);
  assert.deepEqual(
    s.reasons.map((g) => [g.code, g.name]),
    [['unknown', 'UNKNOWN']],
  );
});

test("output that is not smcss's table is a tool error", () => {
  assert.throws(() => parseSmcss('RTNETLINK answers: No such file or directory\n'), /smcss printed no socket table/);
  assert.throws(() => parseSmcss(''), /no socket table/);
});

test('hostOf strips the port of IPv4 and IPv6 endpoints', () => {
  assert.equal(hostOf('192.168.0.12:8080'), '192.168.0.12');
  assert.equal(hostOf('fe80::1:443'), 'fe80::1');
});

test('smc_diag missing: the header, then "RTNETLINK answers: Success" on stderr, exit 1', () => {
  const header = 'State          UID   Inode   Local Address           Peer Address            Intf Mode ';
  assert.equal(smcDiagMissing({ exitCode: 1, stdout: header, stderr: 'RTNETLINK answers: Success' }), true);
  assert.equal(smcDiagMissing({ exitCode: 0, stdout: header, stderr: '' }), false);
  const noSocket = 'Error: Cannot open netlink socket: Protocol not supported';
  assert.equal(smcDiagMissing({ exitCode: 1, stdout: '', stderr: noSocket }), false);
});

test("the per-namespace script's output: tcp2smc first, then smcss's; no first line means nsenter failed", () => {
  assert.deepEqual(splitNetnsOutput('tcp2smc 1\nState x'), { tcp2smc: '1', rest: 'State x' });
  assert.deepEqual(splitNetnsOutput('tcp2smc -\nState x'), { tcp2smc: undefined, rest: 'State x' });
  assert.deepEqual(splitNetnsOutput('tcp2smc 0'), { tcp2smc: '0', rest: '' });
  assert.equal(splitNetnsOutput(''), undefined);
  assert.equal(splitNetnsOutput('State x'), undefined);
});
