import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { renderHotplugUnit } from '../../src/core/hotplug.js';
import { RECORD_DIR } from '../../src/core/owned-record.js';
import { renderUnit } from '../../src/core/unit.js';
import { directivesUsed, OLDEST_SYSTEMD, sandboxDirectives, UNIT_DIRECTIVES } from '../../src/core/unit-sandbox.js';
import { prerequisite } from '../helpers/sim.js';

const options = { exec: ['/usr/bin/asm-erdma'], interfaces: ['eth1'], metadataUrl: 'http://127.0.0.1:8080' };
const units = { 'asm-erdma.service': renderUnit(options), 'asm-erdma-hotplug@.service': renderHotplugUnit(options) };

test('every directive of both units is in the table and known to systemd 239 (Alibaba Cloud Linux 3)', () => {
  for (const [name, text] of Object.entries(units)) {
    const used = directivesUsed(text);
    assert.ok(used.includes('CapabilityBoundingSet'), `${name} is sandboxed`);
    for (const d of used) {
      const entry = UNIT_DIRECTIVES[d];
      assert.ok(entry, `${name}: ${d} is not in UNIT_DIRECTIVES (add it with the systemd release that introduced it)`);
      assert.ok(entry.since <= OLDEST_SYSTEMD, `${name}: ${d} came in systemd ${entry.since}, after 239`);
    }
  }
});

test('the table check can fail: a directive newer than 239, or unknown, is caught', () => {
  const newer = `${units['asm-erdma.service']}ProtectHostname=yes\n`;
  assert.ok(directivesUsed(newer).includes('ProtectHostname'));
  assert.equal(UNIT_DIRECTIVES.ProtectHostname, undefined, 'systemd 242: never in the table');
  // A value newer than its directive counts on its own.
  assert.deepEqual(
    directivesUsed('[Service]\nProtectSystem=strict\nSystemCallFilter=~@privileged @system-service\n').sort(),
    ['ProtectSystem', 'ProtectSystem=strict', 'SystemCallFilter', 'SystemCallFilter=@system-service'],
  );
});

test('the sandbox: only CAP_NET_ADMIN, only the record directory writable (kept after the unit), no W^X ban', () => {
  for (const text of Object.values(units)) {
    const lines = text.split('\n');
    assert.ok(lines.includes('CapabilityBoundingSet=CAP_NET_ADMIN'));
    assert.ok(lines.includes('ProtectSystem=strict'));
    assert.equal(`/run/${lines.find((l) => l.startsWith('RuntimeDirectory='))?.split('=')[1]}`, RECORD_DIR);
    assert.ok(lines.includes('RuntimeDirectoryPreserve=yes'), 'reset reads the record after the unit stopped');
    assert.ok(!lines.some((l) => l.startsWith('ReadWritePaths=')), 'nothing else writable');
    assert.ok(!lines.some((l) => l.startsWith('MemoryDenyWriteExecute')), "V8's JIT needs W+X memory");
    assert.ok(!lines.some((l) => l.startsWith('AmbientCapabilities')));
    assert.ok(lines.includes('SystemCallErrorNumber=EPERM'), 'a call the filter lacks fails, it does not kill');
  }
});

test('sandboxDirectives: /run paths become runtime directories, others must exist and are made writable', () => {
  const lines = sandboxDirectives({ writablePaths: ['/run/a', '/run/b/c', '/var/lib/x'] });
  assert.ok(lines.includes('RuntimeDirectory=a b/c'));
  assert.ok(lines.includes('RuntimeDirectoryPreserve=yes'));
  assert.ok(lines.includes('ReadWritePaths=/var/lib/x'));
  const none = sandboxDirectives({ writablePaths: [] });
  assert.ok(!none.some((l) => /^(RuntimeDirectory|ReadWritePaths)/.test(l)));
});

const NEWS = '/usr/share/doc/systemd/NEWS.gz';

test("the releases taken from systemd's NEWS are the ones NEWS announces them in", (t) => {
  if (!prerequisite(t, existsSync(NEWS) ? undefined : `${NEWS} is missing (install systemd)`)) return;
  const news = gunzipSync(readFileSync(NEWS)).toString('utf8');
  const sections = new Map<number, string>();
  for (const part of news.split(/^CHANGES WITH /m).slice(1)) sections.set(Number.parseInt(part, 10), part);
  let checked = 0;
  for (const [directive, entry] of Object.entries(UNIT_DIRECTIVES)) {
    if (!entry.news) continue;
    const text = (sections.get(entry.since) ?? '').replace(/\s+/g, ' ');
    assert.ok(text.includes(entry.news), `${directive}: NEWS ${entry.since} does not say "${entry.news}"`);
    checked++;
  }
  assert.ok(checked >= 15, `${checked} entries checked`);
});
