/** Which asm-erdma this is: `--version` prints it, `metrics` exports it as asm_erdma_build_info. */
import { readFileSync } from 'node:fs';

/** Set by the bundler (scripts/build.js); unbundled (tests importing dist/src) read from package.json. */
declare const ASM_ERDMA_VERSION: string | undefined;
declare const ASM_ERDMA_COMMIT: string | null | undefined;
declare const ASM_ERDMA_BUILT: string | null | undefined;

export function versionInfo(): { version: string; commit: string | null; node: string; built: string | null } {
  const version =
    typeof ASM_ERDMA_VERSION === 'string'
      ? ASM_ERDMA_VERSION
      : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
          .version;
  return {
    version,
    commit: typeof ASM_ERDMA_COMMIT === 'string' ? ASM_ERDMA_COMMIT : null,
    node: process.version,
    built: typeof ASM_ERDMA_BUILT === 'string' ? ASM_ERDMA_BUILT : null,
  };
}
