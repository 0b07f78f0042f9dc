/** Reads /etc/sysconfig/asm-erdma (ASM_ERDMA_SYSCONFIG moves it, for tests); a missing file means no defaults. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { parseSysconfig, SYSCONFIG_PATH, type SysconfigEntry, type SysconfigKey } from '../core/sysconfig.js';

export interface Sysconfig {
  path: string;
  entries: Map<SysconfigKey, SysconfigEntry>;
}

/** The file this run reads: under an image root (install-service --root) the image's own. */
export function sysconfigPath(root?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (root !== undefined) return join(root, SYSCONFIG_PATH);
  return env.ASM_ERDMA_SYSCONFIG || SYSCONFIG_PATH;
}

export function readSysconfig(path: string): Sysconfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    if (code === 'ENOENT') return { path, entries: new Map() };
    throw new ExitError(
      'usage',
      `cannot read ${path}: ${code}`,
      code === 'EACCES' ? 'make it readable (chmod 644), or run as root' : `fix or remove ${path}`,
    );
  }
  const parsed = parseSysconfig(text);
  if (!parsed.ok) throw new ExitError('usage', `${path} line ${parsed.line}: ${parsed.message}`, parsed.hint);
  return { path, entries: parsed.entries };
}
