import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servicePaths } from '../../src/core/service-plan.js';
import { LEGACY_UNIT_NAME, UNIT_NAME, type UnitOptions } from '../../src/core/unit.js';
import { EffectsFailed } from '../../src/host/host-errors.js';
import { ExitError } from '../../src/exit-codes.js';
import { installService, uninstallService } from '../../src/workflows/service.js';
import { captureLog, FakeHost, node } from '../helpers/fake-host.js';

const live = servicePaths(undefined);
type InstallFlags = { root?: string; now?: boolean; keepLegacy?: boolean; exec?: string; flags?: Partial<UnitOptions> };
const install = (host: FakeHost, o: InstallFlags = {}) =>
  installService(
    host,
    {
      root: o.root,
      now: Boolean(o.now),
      keepLegacy: Boolean(o.keepLegacy),
      exec: o.exec,
      flags: { interfaces: [], ...o.flags },
    },
    captureLog().log,
  );
const uninstall = (host: FakeHost, o: { root?: string; now?: boolean } = {}) =>
  uninstallService(host, { root: o.root, now: Boolean(o.now) }, captureLog().log);

test('install-service on a live node: unit, hot-plug template and udev rule, one reload, then enable', async () => {
  const host = new FakeHost(node(0));
  const r = await install(host);
  assert.deepEqual(r.changes, [
    `write ${live.unit} (mode 0644)`,
    `write ${live.template} (mode 0644)`,
    `write ${live.rule} (mode 0644)`,
    'systemctl daemon-reload',
    `systemctl enable ${UNIT_NAME}`,
  ]);
  assert.deepEqual(host.log, r.changes);
  assert.deepEqual([r.unitFile, r.hotplug, r.legacy], ['created', 'created', 'not-enabled']);
  assert.match(host.state.files.get(live.unit) ?? '', /^ExecStart=\/usr\/bin\/asm-erdma setup --wait$/m);
  assert.equal(host.state.enabled.get(UNIT_NAME), 'enabled');
});

test('install-service again changes nothing; a changed unit is rewritten and reloaded, not re-enabled', async () => {
  const host = new FakeHost(node(0));
  await install(host);
  host.log.length = 0;
  const same = await install(host);
  assert.deepEqual([same.changes, same.unitFile, same.hotplug], [[], 'unchanged', 'unchanged']);
  assert.deepEqual(host.log, []);
  host.state.files.set(live.unit, '# edited by hand\n');
  const fixed = await install(host);
  assert.deepEqual(fixed.changes, [`write ${live.unit} (mode 0644)`, 'systemctl daemon-reload']);
  assert.equal(fixed.unitFile, 'updated');
});

test('install-service disables the old script unit unless --keep-legacy', async () => {
  const state = node(0);
  state.enabled.set(LEGACY_UNIT_NAME, 'enabled');
  const kept = await install(new FakeHost(structuredClone(state)), { keepLegacy: true });
  assert.equal(kept.legacy, 'kept');
  const host = new FakeHost(state);
  const r = await install(host);
  assert.equal(r.legacy, 'disabled');
  assert.equal(host.state.enabled.get(LEGACY_UNIT_NAME), 'disabled');
});

test('install-service is all or nothing: a failing enable puts files and the old unit back, newest first', async () => {
  const state = node(0);
  state.enabled.set(LEGACY_UNIT_NAME, 'enabled');
  state.files.set(live.rule, 'an older rule\n');
  const host = new FakeHost(state);
  host.failEffect = (e) =>
    e.kind === 'systemctl' && e.verb === 'enable' && e.unit === UNIT_NAME ? 'Access denied' : undefined;
  const e = await install(host).catch((x: unknown) => x);
  assert.ok(e instanceof EffectsFailed);
  assert.deepEqual(e.undone, [
    `systemctl enable ${LEGACY_UNIT_NAME}`,
    `restore the previous ${live.rule}`,
    `remove ${live.template}`,
    `remove ${live.unit}, systemctl daemon-reload`,
  ]);
  assert.deepEqual([...host.state.files], [[live.rule, 'an older rule\n']]);
  assert.equal(host.state.enabled.get(LEGACY_UNIT_NAME), 'enabled');
  assert.notEqual(host.state.enabled.get(UNIT_NAME), 'enabled');
});

test('install-service --root undone: the directories its files made in the image go too, the others stay', async () => {
  const state = node(0);
  state.files.set('/img/usr/bin/asm-erdma', "the image's own binary");
  state.dirs.add('/img/etc/systemd/system');
  const host = new FakeHost(state);
  host.failEffect = (e) => (e.kind === 'systemctl' && e.verb === 'enable' ? 'Access denied' : undefined);
  const e = await install(host, { root: '/img' }).catch((x: unknown) => x);
  assert.ok(e instanceof EffectsFailed);
  const img = servicePaths('/img');
  assert.deepEqual(e.undone, [
    `remove ${img.rule} and the directories it made (/img/etc/udev/rules.d, /img/etc/udev)`,
    `remove ${img.template}`,
    `remove ${img.unit}`,
  ]);
  assert.deepEqual([...host.state.files.keys()], ['/img/usr/bin/asm-erdma']);
  assert.ok(!host.isDirectory('/img/etc/udev'), 'made by the install: removed');
  assert.ok(host.isDirectory('/img/etc/systemd/system'), 'there before: kept');
});

test('install-service --dry-run lists the changes and makes none; needs no root', async () => {
  const host = new FakeHost(node(0), { dryRun: true });
  host.root = false;
  const r = await install(host);
  assert.equal(r.changes.length, 5);
  assert.deepEqual(host.log, []);
  assert.equal(host.state.files.size, 0);
  const live = new FakeHost(node(0));
  live.root = false;
  await assert.rejects(install(live), (x: unknown) => x instanceof ExitError && x.code === 3);
});

test('install-service --root: systemctl --root, no daemon-reload; --now with --root is a usage error', async () => {
  const state = node(0);
  state.files.set('/img/usr/bin/asm-erdma', "the image's own binary");
  const host = new FakeHost(state);
  const r = await install(host, { root: '/img' });
  assert.deepEqual(r.changes.slice(-1), [`systemctl --root=/img enable ${UNIT_NAME}`]);
  assert.ok(!r.changes.includes('systemctl daemon-reload'));
  assert.ok(host.state.files.has('/img/etc/systemd/system/asm-erdma.service'));
  const now = await install(host, { root: '/img', now: true }).catch((x: unknown) => x);
  assert.equal((now as ExitError).code, 2);
  const missing = await install(host, { root: '/nowhere' }).catch((x: unknown) => x);
  assert.match((missing as Error).message, /--root \/nowhere: not a directory/);
});

test('install-service --now: a failed start keeps the install and reports why', async () => {
  const host = new FakeHost(node(0));
  host.failEffect = (e) => (e.kind === 'systemctl' && e.verb === 'restart' ? 'Job failed' : undefined);
  const r = await install(host, { now: true });
  assert.equal(r.started, false);
  assert.match(r.startError ?? '', /'systemctl restart asm-erdma.service' failed: Job failed$/);
  assert.equal(host.state.enabled.get(UNIT_NAME), 'enabled');
  assert.ok(host.state.files.has(live.unit));
});

test('uninstall-service: stop, disable, remove the files, one reload; a failing reload puts it all back', async () => {
  const host = new FakeHost(node(0));
  await install(host);
  const before = structuredClone(host.state.files);
  host.log.length = 0;
  host.failEffect = (e) =>
    e.kind === 'systemctl' && e.verb === 'daemon-reload' ? 'Transport endpoint is not connected' : undefined;
  const e = await uninstall(host, { now: true }).catch((x: unknown) => x);
  assert.ok(e instanceof EffectsFailed);
  assert.deepEqual(host.state.files, before);
  assert.equal(host.state.enabled.get(UNIT_NAME), 'enabled');

  host.failEffect = undefined;
  host.log.length = 0;
  const r = await uninstall(host, { now: true });
  assert.deepEqual(r.changes, [
    `systemctl stop ${UNIT_NAME}`,
    `systemctl disable ${UNIT_NAME}`,
    `remove ${live.template}`,
    `remove ${live.rule}`,
    `remove ${live.unit}`,
    'systemctl daemon-reload',
  ]);
  assert.deepEqual([r.unitFile, r.hotplug, r.stopped], ['removed', 'removed', true]);
  assert.equal(host.state.files.size, 0);
  const again = await uninstall(host);
  assert.deepEqual([again.changes, again.unitFile], [[], 'absent']);
});

const execStart = (host: FakeHost, path = live.unit) => /^ExecStart=(.*)$/m.exec(host.state.files.get(path) ?? '')?.[1];
const usageError = (message: RegExp) => (x: unknown) =>
  x instanceof ExitError && x.code === 2 && message.test(x.message);

test("install-service: TimeoutStartSec follows the sysconfig file (the image's own under --root)", async () => {
  const state = node(0);
  state.files.set('/img/usr/bin/asm-erdma', '');
  state.files.set('/img/etc/sysconfig/asm-erdma', 'ASM_ERDMA_TIMEOUT=200\nASM_ERDMA_INTERFACES="eth1 eth2"\n');
  state.files.set('/etc/sysconfig/asm-erdma', 'ASM_ERDMA_TIMEOUT=40\n');
  const host = new FakeHost(state);
  await install(host, { root: '/img' });
  const inImage = host.state.files.get('/img/etc/systemd/system/asm-erdma.service') ?? '';
  assert.match(inImage, /^TimeoutStartSec=230$/m);
  assert.match(inImage, /^ExecStart=\/usr\/bin\/asm-erdma setup --wait$/m, 'the file is read at boot, not baked in');
  await install(host, { flags: { timeoutSeconds: 60, interfaces: ['eth1'] } });
  assert.equal(execStart(host), '/usr/bin/asm-erdma setup --wait --timeout 60 --interface eth1');
  assert.match(host.state.files.get(live.unit) ?? '', /^TimeoutStartSec=90$/m);
  host.state.files.set('/etc/sysconfig/asm-erdma', 'ASM_ERDMA_TIMEOUT=forever\n');
  const before = structuredClone(host.state.files);
  await assert.rejects(install(host), usageError(/^\/etc\/sysconfig\/asm-erdma line 1: ASM_ERDMA_TIMEOUT: must be/));
  assert.deepEqual(host.state.files, before);
});

test("install-service --root with the image's own binary names it by its path inside the image", async () => {
  const state = node(0);
  state.files.set('/tmp/img/usr/bin/asm-erdma', '');
  const host = new FakeHost(state);
  host.ownExec = ['/tmp/img/usr/bin/asm-erdma'];
  const r = await install(host, { root: '/tmp/img' });
  assert.equal(execStart(host, r.unitPath), '/usr/bin/asm-erdma setup --wait');
  // A binary outside the image is looked for inside it, as before: not there, refused with the fix.
  const outside = new FakeHost(node(0));
  outside.state.files.set('/img2/etc/os-release', '');
  outside.ownExec = ['/opt/asm-erdma/asm-erdma'];
  await assert.rejects(
    install(outside, { root: '/img2' }),
    usageError(/^--root \/img2: \/opt\/asm-erdma\/asm-erdma does not exist inside the image/),
  );
});

test('install-service refuses a binary a reboot may clear or in a home directory; --exec is the fix', async () => {
  const places: [string[], string | undefined, RegExp][] = [
    [['/tmp/asm-erdma'], '/root', /\/tmp\/asm-erdma is under \/tmp, which a reboot may clear$/],
    [['/var/tmp/x/asm-erdma'], '/root', /under \/var\/tmp/],
    [['/run/user/0/asm-erdma'], '/root', /under \/run/],
    [['/dev/shm/asm-erdma'], '/root', /under \/dev\/shm/],
    [['/home/alice/bin/asm-erdma'], '/home/alice', /in a home directory \(\/home\), which the boot unit may not see$/],
    [['/root/.nvm/node', '/usr/lib/asm-erdma/cli.js'], '/root', /\/root\/.nvm\/node is in a home directory/],
    [['/srv/me/asm-erdma'], '/srv/me', /in a home directory \(\/srv\/me\)/],
  ];
  for (const [exec, home, why] of places) {
    const host = new FakeHost(node(0));
    host.ownExec = exec;
    host.home = home;
    const refused = await install(host).catch((x: unknown) => x);
    assert.ok(refused instanceof ExitError && refused.code === 2, `${exec}: ${String(refused)}`);
    assert.match(refused.message, /^the boot unit cannot start asm-erdma from where it runs now: /);
    assert.match(refused.message, why);
    assert.equal(
      refused.hint,
      'install the RPM (it puts asm-erdma at /usr/bin/asm-erdma), or say where it lives: --exec PATH',
    );
    assert.deepEqual([host.log, host.state.files.size], [[], 0], 'nothing written');
    // The same refusal under --root, for the path inside the image.
    host.state.files.set(`/img${exec[0]}`, '');
    host.state.files.set(`/img${exec[1] ?? exec[0]}`, '');
    await assert.rejects(install(host, { root: '/img' }), usageError(why));
    host.state.files.set('/usr/local/bin/asm-erdma', '');
    await install(host, { exec: '/usr/local/bin/asm-erdma' });
    assert.equal(execStart(host), '/usr/local/bin/asm-erdma setup --wait');
  }
  // Lasting places are fine, and a home of '/' (a system user) makes nothing a home directory.
  const host = new FakeHost(node(0));
  host.ownExec = ['/opt/tmp/asm-erdma'];
  host.home = '/';
  await install(host);
  assert.equal(execStart(host), '/opt/tmp/asm-erdma setup --wait');
});

test('install-service --exec: must be absolute, and exist on this node (or in the image)', async () => {
  const host = new FakeHost(node(0));
  await assert.rejects(install(host, { exec: 'asm-erdma' }), usageError(/^--exec asm-erdma: not an absolute path$/));
  await assert.rejects(
    install(host, { exec: '/nonexistent/asm-erdma' }),
    usageError(/^--exec \/nonexistent\/asm-erdma: no such file on this node$/),
  );
  host.state.files.set('/img/etc/os-release', '');
  await assert.rejects(
    install(host, { root: '/img', exec: '/usr/bin/asm-erdma' }),
    usageError(/^--root \/img: \/usr\/bin\/asm-erdma does not exist inside the image/),
  );
  assert.deepEqual(host.log, []);
});

test('a unit file that cannot be read is refused before any change, never taken for absent (exit 6)', async () => {
  const state = node(0);
  state.oddFiles.set(live.unit, { kind: 'unreadable', code: 'EACCES' });
  state.enabled.set(LEGACY_UNIT_NAME, 'enabled');
  const host = new FakeHost(state);
  // Had it been taken for absent, this failing enable would have "put back" a missing file: removed the unit.
  host.failEffect = (e) => (e.kind === 'systemctl' && e.verb === 'enable' ? 'Access denied' : undefined);
  for (const run of [() => install(host), () => uninstall(host)]) {
    const e = await run().catch((x: unknown) => x);
    assert.ok(e instanceof ExitError && !(e instanceof EffectsFailed), String(e));
    assert.equal(e.code, 6);
    assert.equal(e.message, `cannot read ${live.unit}: EACCES; nothing was changed`);
    assert.match(e.hint ?? '', /what is there must be known before it is replaced/);
    assert.deepEqual(host.log, []);
    assert.equal(host.state.enabled.get(LEGACY_UNIT_NAME), 'enabled');
  }
});

test('a FIFO, a directory or a link where a file is written or removed is refused, also under --dry-run', async () => {
  const cases: [string, string, RegExp][] = [
    [live.unit, 'a FIFO', /move it away, then run this again/],
    [live.template, 'a directory', /move it away/],
    [live.rule, 'a socket', /move it away/],
    [live.unit, 'a symbolic link to /dev/null', /the unit is masked: systemctl unmask it first/],
  ];
  for (const [path, what, hint] of cases) {
    for (const dryRun of [false, true]) {
      const state = node(0);
      state.oddFiles.set(path, { kind: 'not-regular', what });
      const host = new FakeHost(state, { dryRun });
      for (const run of [() => install(host), () => uninstall(host)]) {
        const e = await run().catch((x: unknown) => x);
        assert.ok(e instanceof ExitError, String(e));
        assert.equal(e.code, 6);
        assert.equal(e.message, `${path} is ${what}, not a regular file; nothing was changed`);
        assert.match(e.hint ?? '', hint);
        assert.deepEqual(host.log, []);
      }
    }
  }
});
