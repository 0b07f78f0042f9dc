/**
 * A copy of this build's CLI (the npm launcher and its bundle, nothing else: the bundle needs no node_modules),
 * for tests whose subject is where the CLI lives: install-service names its own path in ExecStart and refuses
 * one a reboot may clear, so a test that needs the default ExecStart runs a copy at a lasting path (inside an
 * image root, an overlay, an RPM) instead of the checkout, which may be anywhere (/tmp, a home directory).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './sim-node.js';

/** What the launcher loads, relative to the package root (bin/asm-erdma.js reads ../dist/asm-erdma.cjs). */
export const CLI_FILES = ['bin/asm-erdma.js', 'bin/package.json', 'dist/asm-erdma.cjs', 'dist/asm-erdma.cjs.cache'];

/** Copies the CLI into `dir` (created as needed, modes kept); returns the copied launcher's path. */
export function copyCli(dir: string): string {
  for (const f of CLI_FILES) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    copyFileSync(join(REPO_ROOT, f), join(dir, f));
  }
  return join(dir, 'bin/asm-erdma.js');
}
