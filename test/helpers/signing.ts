/** A throwaway gpg signing key for release tests: its own GNUPGHOME, no passphrase, RSA (what EL8's rpm verifies). */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../../scripts/sim/sim-node.js';

export interface SigningKey {
  home: string;
  fpr: string;
  /** The armoured public key, as a release publishes it (RPM-GPG-KEY-asm-erdma). */
  pub: string;
}

/** Makes the key under dir (dir/gnupg); stopKeyAgent(dir) ends the gpg-agent gpg started for it. */
export async function throwawayKey(dir: string): Promise<SigningKey> {
  const home = join(dir, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const env = { GNUPGHOME: home };
  const uid = 'asm-erdma test signing key <release-test@example.invalid>';
  await execa('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'rsa2048', 'sign', 'never'], { env });
  const colons = String((await execa('gpg', ['--batch', '--with-colons', '--list-secret-keys'], { env })).stdout);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
  assert.ok(fpr, colons);
  const pub = join(dir, 'RPM-GPG-KEY-asm-erdma');
  writeFileSync(pub, String((await execa('gpg', ['--batch', '--armor', '--export', fpr], { env })).stdout));
  return { home, fpr, pub };
}

export async function stopKeyAgent(dir: string): Promise<void> {
  await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: join(dir, 'gnupg') }, reject: false });
}

/** Signs RPMs in place the way `npm run package -- --sign` does (scripts/package/sign.js). */
export async function signRpm(key: SigningKey, ...files: string[]) {
  const sign = join(REPO_ROOT, 'scripts/package/sign.js');
  return execa(process.execPath, [sign, key.fpr, ...files], { env: { GNUPGHOME: key.home }, reject: false });
}
