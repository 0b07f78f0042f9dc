import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../src/core/deadline.js';
import { DEFAULT_MIN_KERNEL } from '../../src/core/kernel-policy.js';
import { parseKernelRelease, type KernelRelease } from '../../src/core/kernel-release.js';
import { ExitError } from '../../src/exit-codes.js';
import { runMetrics } from '../../src/workflows/metrics.js';
import { runSetup } from '../../src/workflows/setup.js';
import { captureLog, FakeHost, node, RECORD_PATH } from '../helpers/fake-host.js';

const min = parseKernelRelease(`${DEFAULT_MIN_KERNEL}.al8.x86_64`) as KernelRelease;
const build = { version: '1.2.3', commit: null };
/** metrics reads the node through a dry-run view of the same state, as the command does. */
const metrics = async (host: FakeHost) =>
  (
    await runMetrics(
      new FakeHost(host.state, { dryRun: true }),
      { min, metadataUrl: 'http://metadata.test', deadline: new Deadline(10_000), build },
      captureLog().log,
    )
  ).text;
const setup = (host: FakeHost) =>
  runSetup(
    host,
    { interfaces: [], metadataUrl: 'http://m.test', deadline: new Deadline(10_000), wait: false },
    captureLog().log,
  );
const LAST = '/run/asm-erdma/last-setup.json';

test('metrics changes nothing: it refuses a host that would apply changes, and applies none on its own', async () => {
  const options = { min, metadataUrl: 'http://m.test', deadline: new Deadline(10_000), build };
  await assert.rejects(runMetrics(new FakeHost(node(1)), options, captureLog().log), /dry-run host only/);
  const host = new FakeHost(node(2), { dryRun: true });
  await runMetrics(host, options, captureLog().log);
  assert.deepEqual(host.log, []);
});

test('metadata unreachable: a NIC counts as configured when it carries the address setup recorded for it', async () => {
  const host = new FakeHost(node(2));
  await setup(host);
  host.state.metadata.clear();
  // eth2 lost its address to someone else's flush; eth1 still has what setup gave it.
  const eth2 = host.state.links.find((l) => l.name === 'eth2');
  if (eth2) eth2.ipv4 = [];
  const text = await metrics(host);
  assert.match(text, /^asm_erdma_nic_configured\{ifname="eth1",mac="00:16:3e:00:00:01"\} 1$/m);
  assert.match(text, /^asm_erdma_nic_configured\{ifname="eth2",mac="00:16:3e:00:00:02"\} 0$/m);
  assert.match(text, /^asm_erdma_check\{id="metadata",state="fail"\} 1$/m);
});

test('rdma lists no device any more: a NIC in the record is still reported (not configured)', async () => {
  const host = new FakeHost(node(1));
  await setup(host);
  host.state.rdma = undefined;
  const eth1 = host.state.links.find((l) => l.name === 'eth1');
  if (eth1) eth1.adminUp = false;
  const text = await metrics(host);
  assert.match(text, /^asm_erdma_nic_configured\{ifname="eth1",mac="00:16:3e:00:00:01"\} 0$/m);
  assert.match(text, /^asm_erdma_check\{id="erdma-devices",state="fail"\} 1$/m);
});

test('setup notes how it ended: success after a good run, failure after a refused one', async () => {
  const host = new FakeHost(node(1));
  await setup(host);
  const ok = JSON.parse(host.state.files.get(LAST) ?? '{}') as { at: number; success: boolean };
  assert.equal(ok.success, true);
  assert.equal(ok.at, Math.floor(host.clock.now() / 1000), "the time is the Host clock's");
  assert.match(await metrics(host), /^asm_erdma_last_setup_success 1$/m);
  host.state.metadata.clear();
  await assert.rejects(setup(host), ExitError);
  assert.equal((JSON.parse(host.state.files.get(LAST) ?? '{}') as { success: boolean }).success, false);
  assert.match(await metrics(host), /^asm_erdma_last_setup_success 0$/m);
});

test('a last-setup note that is not what setup writes is no note: no made-up series', async () => {
  const host = new FakeHost(node(1));
  host.state.files.set(LAST, '{"at":"yesterday","success":true}\n');
  assert.doesNotMatch(await metrics(host), /asm_erdma_last_setup/);
  assert.equal(RECORD_PATH.replace(/[^/]+$/, 'last-setup.json'), LAST);
});

test('SMC: smcss missing gives scrape 0 and no SMC series; fallbacks are counted by reason', async () => {
  const host = new FakeHost(node(1));
  host.state.tools.clear();
  const none = await metrics(host);
  assert.match(none, /^asm_erdma_smc_scrape_success 0$/m);
  assert.doesNotMatch(none, /^asm_erdma_smc_connections/m);
  host.state.tools.add('smcss');
  const tcp = (reason: number | undefined) => ({
    state: 'ACTIVE',
    peer: '10.0.0.2:80',
    mode: 'TCP' as const,
    reason,
    peerReason: undefined,
  });
  host.state.smcSamples = [[tcp(0x03030002), tcp(0x03030002), tcp(undefined), { ...tcp(undefined), mode: 'SMCR' }]];
  const text = await metrics(host);
  assert.match(text, /^asm_erdma_smc_connections\{mode="smcr"\} 1$/m);
  assert.match(text, /^asm_erdma_smc_connections\{mode="fallback"\} 3$/m);
  assert.match(text, /^asm_erdma_smc_fallback_connections\{reason="NOSMCRDEV"\} 2$/m);
  assert.match(text, /^asm_erdma_smc_fallback_connections\{reason="UNKNOWN"\} 1$/m);
});

test('build info and kernel release are labelled; a build without a commit says unknown', async () => {
  const text = await metrics(new FakeHost(node(1)));
  assert.match(text, /^asm_erdma_build_info\{version="1\.2\.3",commit="unknown"\} 1$/m);
  assert.match(text, /^asm_erdma_kernel_info\{release="5\.10\.134-17\.3\.al8\.x86_64"\} 1$/m);
});
