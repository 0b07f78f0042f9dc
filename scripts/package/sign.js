// Signs RPMs in place with rpmsign and gpg (`npm run package -- --sign KEYID`, or ASM_ERDMA_SIGN_KEY).
// Usable on its own too: node scripts/package/sign.js KEYID FILE.rpm… (GNUPGHOME picks the keyring).
// The key needs no passphrase, or a gpg-agent that already has it (rpmsign runs gpg with --batch). RSA keys:
// EL8's rpm 4.14 verifies RSA signatures; it cannot verify EdDSA ones.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Throws a one-line error unless gpg has the secret key (release.js checks this before building anything). */
export function assertSecretKey(keyId) {
  if (!keyId || /\s/.test(keyId))
    throw new Error(`--sign needs a gpg key id or fingerprint, got ${JSON.stringify(keyId)}`);
  try {
    execFileSync('gpg', ['--batch', '--list-secret-keys', keyId], { stdio: 'ignore' });
  } catch {
    const home = process.env.GNUPGHOME ?? '~/.gnupg';
    throw new Error(`gpg has no secret key ${keyId} (in ${home}): make one or set GNUPGHOME (docs/verify.md)`);
  }
}

/** rpmsign --addsign with the key named (its fingerprint or key id). */
export function signRpms(keyId, files) {
  assertSecretKey(keyId);
  for (const file of files) {
    execFileSync(
      'rpmsign',
      [
        '--define',
        `_gpg_name ${keyId}`,
        '--define',
        '__gpg /usr/bin/gpg',
        '--define',
        '_gpg_digest_algo sha256',
        '--addsign',
        file,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [keyId, ...files] = process.argv.slice(2);
  try {
    signRpms(keyId, files);
  } catch (e) {
    process.stderr.write(`sign: ${e.message}\n`);
    process.exit(1);
  }
}
