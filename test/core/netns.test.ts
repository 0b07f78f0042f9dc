import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';
import { netnsInode, netnsTargets, podFromLogDir, podUidFromCgroup, type ProcessNetns } from '../../src/core/netns.js';

const fixture = (name: string): string => readFileSync(join(REPO_ROOT, 'test/fixtures/netns', name), 'utf8');

test('netns links: net:[inode] only', () => {
  assert.equal(netnsInode('net:[4026531840]'), 4026531840);
  assert.equal(netnsInode('net:[4026532001]\n'), 4026532001);
  assert.equal(netnsInode('mnt:[4026531840]'), undefined);
  assert.equal(netnsInode('net:[]'), undefined);
});

test('pod UID from /proc/<pid>/cgroup: cgroup v1 and v2, cgroupfs and systemd spellings, every QoS class', () => {
  const cases: [string, string | undefined][] = [
    ['cgroup-v1-cgroupfs-burstable', '0f8a3b2c-5d4e-4f6a-9b8c-7d6e5f4a3b2c'],
    ['cgroup-v1-cgroupfs-guaranteed', '7c9d2e1f-aaaa-4bbb-8ccc-0123456789ab'],
    ['cgroup-v1-systemd-burstable', 'abcdef01-2345-4678-9abc-def012345678'],
    ['cgroup-v2-systemd-besteffort', '5e6f7a8b-1c2d-4e3f-a4b5-c6d7e8f9a0b1'],
    ['cgroup-v2-systemd-guaranteed', '11112222-3333-4444-5555-666677778888'],
    ['cgroup-v2-kind-nested', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'],
    // A static pod's UID is its manifest's hash: 32 hex digits, no dashes.
    ['cgroup-v2-cgroupfs-static-pod', '2f1d5e0c9b8a7f6e5d4c3b2a1f0e9d8c'],
    ['cgroup-v2-system-service', undefined],
    // `pod<uuid>` outside kubepods is somebody else's name, not a pod.
    ['cgroup-v2-not-kubepods', undefined],
  ];
  for (const [file, uid] of cases) assert.equal(podUidFromCgroup(fixture(file)), uid, file);
  assert.equal(podUidFromCgroup(''), undefined);
  assert.equal(podUidFromCgroup('0::/kubepods.slice'), undefined);
});

test("kubelet's /var/log/pods/<namespace>_<name>_<uid> names the pod; anything else is not one", () => {
  assert.deepEqual(podFromLogDir('shop_cart-7f9c6d5b4-x2x9q_0f8a3b2c-5d4e-4f6a-9b8c-7d6e5f4a3b2c'), {
    namespace: 'shop',
    name: 'cart-7f9c6d5b4-x2x9q',
    uid: '0f8a3b2c-5d4e-4f6a-9b8c-7d6e5f4a3b2c',
  });
  assert.deepEqual(podFromLogDir('kube-system_etcd-node1.example_2f1d5e0c9b8a7f6e5d4c3b2a1f0e9d8c'), {
    namespace: 'kube-system',
    name: 'etcd-node1.example',
    uid: '2f1d5e0c9b8a7f6e5d4c3b2a1f0e9d8c',
  });
  for (const bad of ['shop_cart', 'shop_cart_x', 'Shop_cart_0f8a3b2c-5d4e-4f6a-9b8c-7d6e5f4a3b2c', 'a_b_c_d', '']) {
    assert.equal(podFromLogDir(bad), undefined, bad);
  }
});

test('namespaces: grouped by inode, pods named from their logs, others by inode and a process, host its own', () => {
  const HOST = 4026531840;
  const uidA = '0f8a3b2c-5d4e-4f6a-9b8c-7d6e5f4a3b2c';
  const uidB = '7c9d2e1f-aaaa-4bbb-8ccc-0123456789ab';
  const procs: ProcessNetns[] = [
    { pid: 1, netns: HOST, comm: 'systemd' },
    // A host-network pod shares the host's namespace: still the host row.
    { pid: 90, netns: HOST, podUid: uidB },
    { pid: 200, netns: 4026532300, comm: 'pause' },
    { pid: 201, netns: 4026532300, podUid: uidA },
    { pid: 202, netns: 4026532300 },
    { pid: 203, netns: 4026532300 },
    { pid: 300, netns: 4026532400, podUid: uidB, comm: 'pause' },
    { pid: 400, netns: 4026532500, comm: 'dnsmasq' },
  ];
  const named = [
    { name: 'cni-1234', netns: 4026532300 },
    { name: 'empty', netns: 4026532600 },
  ];
  const pods = [{ namespace: 'shop', name: 'cart-0', uid: uidA }];
  const t = netnsTargets(procs, named, HOST, pods);
  assert.deepEqual(
    t.map((x) => [x.kind, x.label, x.netns]),
    [
      ['host', 'host', HOST],
      ['pod', `pod ${uidB}`, 4026532400],
      ['pod', 'shop/cart-0', 4026532300],
      ['netns', 'netns empty', 4026532600],
      ['netns', 'netns:[4026532500]', 4026532500],
    ],
  );
  const cart = t.find((x) => x.label === 'shop/cart-0');
  assert.deepEqual(cart?.pod, { namespace: 'shop', name: 'cart-0', uid: uidA });
  assert.deepEqual(cart?.process, { pid: 200, comm: 'pause' });
  // The ip-netns name first (it outlives any process), then three of its processes.
  assert.deepEqual(cart?.paths, ['/run/netns/cni-1234', '/proc/200/ns/net', '/proc/201/ns/net', '/proc/202/ns/net']);
  assert.deepEqual(t.find((x) => x.kind === 'host')?.pod, null);
  assert.deepEqual(t.find((x) => x.netns === 4026532400)?.pod, { namespace: null, name: null, uid: uidB });
  assert.deepEqual(t.find((x) => x.netns === 4026532500)?.process, { pid: 400, comm: 'dnsmasq' });
  assert.deepEqual(t.find((x) => x.netns === 4026532600)?.paths, ['/run/netns/empty']);
});
