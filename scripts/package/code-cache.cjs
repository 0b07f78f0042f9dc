// node --hash-seed=1 code-cache.cjs BUNDLE CACHE: the V8 code cache of a CLI bundle (which exports main), made
// after running what every start and every setup compiles, so that a boot-time setup compiles almost nothing:
// `--help` (commander and every command's options), then `setup --dry-run` on a stand-in node (warm-node/: `ip`
// and `rdma` that print a fixed node; a metadata server on loopback, here). Dry-run needs no privilege and
// changes nothing, and everything the run reads is fixed here, so the cache is the same on every build machine.
// Run by the Node that will load it (the arm64 one under qemu-aarch64). --hash-seed=1: V8 seeds string hashes
// randomly per process and the cache's bytes depend on that seed; a fixed seed makes them the same on every
// build. Whoever loads the cache sets the same flag first (sea-loader.cjs, bin/asm-erdma.js), or V8 rejects it
// as made with other flags.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const vm = require('node:vm');
const { wrap, createRequire } = require('node:module');
const { tmpdir } = require('node:os');

const [bundle, out] = process.argv.slice(2).map((p) => path.resolve(p));
if (!bundle || !out) throw new Error('usage: node --hash-seed=1 code-cache.cjs BUNDLE CACHE');
if (!process.execArgv.includes('--hash-seed=1')) throw new Error('run me with node --hash-seed=1');

/** The stand-in node's metadata: its two eRDMA NICs (warm-node/ip) by MAC. */
const METADATA = {
  '00:16:3e:0c:00:01': { 'primary-ip-address': '192.168.0.11', netmask: '255.255.255.0', gateway: '192.168.0.253' },
  '00:16:3e:0c:00:02': { 'primary-ip-address': '192.168.0.12', netmask: '255.255.255.0', gateway: '192.168.0.253' },
};

function metadataServer() {
  return http.createServer((req, res) => {
    const m = /^\/latest\/meta-data\/network\/interfaces\/macs\/([0-9a-f:]+)\/([a-z-]+)$/.exec(req.url ?? '');
    const value = req.method === 'PUT' && req.url === '/latest/api/token' ? 'warm-up-token' : m && METADATA[m[1]]?.[m[2]];
    res.writeHead(value ? 200 : 404, { 'Content-Type': 'text/plain' }).end(value ?? 'Not Found');
  });
}

async function warmUp(main) {
  const server = metadataServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'asm-erdma-code-cache-'));
  const sysconfig = path.join(dir, 'sysconfig');
  fs.writeFileSync(sysconfig, '# /etc/sysconfig/asm-erdma as the RPM ships it: every setting commented out\n');
  Object.assign(process.env, {
    PATH: path.join(__dirname, 'warm-node'),
    ASM_ERDMA_RUN_DIR: path.join(dir, 'run'),
    ASM_ERDMA_SYSCONFIG: sysconfig,
    NO_COLOR: '1',
  });
  try {
    const url = `http://127.0.0.1:${server.address().port}`;
    const code = await main(['node', 'asm-erdma', 'setup', '--dry-run', '--metadata-url', url]);
    // A warm-up that failed compiled an error path instead: better no build than a quietly slower one.
    if (code !== 0) throw new Error(`the warm-up setup --dry-run exited ${code}: ${stderr.join('').trim()}`);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// A fixed name: the cache records it (the loader's own filename replaces it when the cache is used), and the
// build directory's path must not end up in the release.
const script = new vm.Script(wrap(fs.readFileSync(bundle, 'utf8')), { filename: 'asm-erdma.cjs' });
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, __dirname);
const stderr = [];
process.stdout.write = () => true;
process.stderr.write = (s) => stderr.push(String(s)) > 0;
(async () => {
  await mod.exports.main(['node', 'asm-erdma', '--help']);
  await warmUp(mod.exports.main);
  fs.writeFileSync(out, script.createCachedData());
})().catch((e) => {
  fs.writeSync(2, `code-cache: ${e.message}\n`);
  process.exit(1);
});
