import { test } from 'node:test';
import assert from 'node:assert/strict';
import { erdmaNetdevs, parseRdmaLinkJson, parseRdmaLinkText } from '../../src/core/rdma-links.js';
import { ToolOutputError } from '../../src/core/iproute-json.js';

test('JSON with newlines between objects is one document', () => {
  const text =
    '[{"ifindex":0,"ifname":"erdma_0","port":1,"state":"ACTIVE","physical_state":"LINK_UP","netdev":"eth1",' +
    '"netdev_index":3},\n' +
    '{"ifindex":1,"ifname":"erdma_1","port":1,"state":"DOWN","physical_state":"DISABLED"}]\n';
  const ports = parseRdmaLinkJson(text);
  assert.equal(ports.length, 2);
  assert.deepEqual(ports[0], { device: 'erdma_0', port: 1, state: 'ACTIVE', netdev: 'eth1' });
  assert.equal(ports[1]?.netdev, undefined);
  assert.deepEqual(erdmaNetdevs(ports), ['eth1']);
  assert.deepEqual(parseRdmaLinkJson('[]'), []);
  assert.throws(() => parseRdmaLinkJson('link erdma_0/1 state ACTIVE'), ToolOutputError);
});

test('text form, trailing space and several ports on one netdev', () => {
  const text =
    'link erdma_0/1 state ACTIVE physical_state LINK_UP netdev eth1 \n' +
    'link erdma_0/2 state ACTIVE physical_state LINK_UP netdev eth1 \n' +
    'link erdma_1/1 state DOWN physical_state DISABLED netdev eth2 \n';
  const ports = parseRdmaLinkText(text);
  assert.deepEqual(
    ports.map((p) => `${p.device}/${p.port} ${p.state} ${p.netdev}`),
    ['erdma_0/1 ACTIVE eth1', 'erdma_0/2 ACTIVE eth1', 'erdma_1/1 DOWN eth2'],
  );
  assert.deepEqual(erdmaNetdevs(ports), ['eth1', 'eth2']);
  assert.deepEqual(parseRdmaLinkText(''), []);
});

test('text that is not rdma link output is an error, never "no devices"', () => {
  assert.throws(
    () => parseRdmaLinkText('Segmentation fault\n'),
    (e: unknown) => e instanceof ToolOutputError && /Segmentation fault/.test(e.message),
  );
  assert.throws(() => parseRdmaLinkText('link erdma_0/1 state ACTIVE\n\x00\x01garbage\n'), ToolOutputError);
  assert.throws(() => parseRdmaLinkText('link nonsense\n'), ToolOutputError);
  assert.deepEqual(parseRdmaLinkText('\n\n'), []);
});
