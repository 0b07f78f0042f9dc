// The release's software bill of materials: CycloneDX 1.5 JSON describing what is inside the standalone binary
// (and the RPMs, which carry it as /usr/share/doc/asm-erdma/asm-erdma.cdx.json): asm-erdma itself, every npm
// package esbuild actually bundled (its metafile's inputs, not package.json's devDependencies) with version,
// licence and the lock file's integrity hash, and the Node runtime of each binary. No random serial number and no
// wall-clock time: the document is part of the reproducible release (SOURCE_DATE_EPOCH, the commit).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `pkg:npm/%40scope/name@1.2.3` (the purl spec encodes the scope's @). */
const purl = (name, version) => `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;

/** SPDX id or expression, as CycloneDX wants each. */
function licences(license) {
  if (!license) return [];
  return /\s(OR|AND|WITH)\s/.test(license) ? [{ expression: license }] : [{ license: { id: license } }];
}

/** A lock file's `integrity` (sha512-<base64>) as a CycloneDX hash. */
function hashes(integrity) {
  const m = /^sha512-(.+)$/.exec(integrity ?? '');
  return m ? [{ alg: 'SHA-512', content: Buffer.from(m[1], 'base64').toString('hex') }] : [];
}

/** The package directories (node_modules/…) that a metafile's inputs come from, sorted. */
export function bundledPackageDirs(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  return [...dirs].sort();
}

/** A UUID (v5 layout) derived from the bytes given: the same release gets the same serial number. */
function stableUuid(text) {
  const h = createHash('sha1').update(text).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * @param {{ repo: string, pkg: any, lock: any, metafile: any, runtimes: {arch: string, dir: string, lock: any}[],
 *   commit: string | null, epoch: number }} o
 */
export function sbom(o) {
  const ref = (name, version) => purl(name, version);
  const bundled = bundledPackageDirs(o.metafile).map((d) => {
    const p = JSON.parse(readFileSync(join(o.repo, d, 'package.json'), 'utf8'));
    return {
      type: 'library',
      'bom-ref': ref(p.name, p.version),
      name: p.name,
      version: p.version,
      scope: 'required',
      licenses: licences(p.license),
      hashes: hashes(o.lock.packages[d]?.integrity),
      purl: purl(p.name, p.version),
    };
  });
  const runtimes = o.runtimes.map(({ arch, dir, lock }) => {
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return {
      type: 'platform',
      'bom-ref': ref(p.name, p.version),
      name: p.name,
      version: p.version,
      description: `Node.js ${p.version} for linux-${arch}: the runtime inside asm-erdma-linux-${arch}`,
      scope: 'required',
      licenses: licences(p.license),
      hashes: hashes(lock.packages[`node_modules/${p.name}`]?.integrity),
      purl: purl(p.name, p.version),
    };
  });
  const self = {
    type: 'application',
    'bom-ref': ref(o.pkg.name, o.pkg.version),
    name: o.pkg.name,
    version: o.pkg.version,
    description: o.pkg.description,
    licenses: licences(o.pkg.license),
    purl: purl(o.pkg.name, o.pkg.version),
    ...(o.commit ? { properties: [{ name: 'asm-erdma:git-commit', value: o.commit }] } : {}),
  };
  const components = [...bundled, ...runtimes];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${stableUuid(`${o.pkg.name}@${o.pkg.version} ${o.commit ?? ''}`)}`,
    version: 1,
    metadata: {
      timestamp: new Date(o.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      tools: { components: [{ type: 'application', name: 'asm-erdma scripts/package/sbom.js' }] },
      component: self,
    },
    components,
    dependencies: [
      { ref: self['bom-ref'], dependsOn: components.map((c) => c['bom-ref']) },
      ...components.map((c) => ({ ref: c['bom-ref'], dependsOn: [] })),
    ],
  };
}
