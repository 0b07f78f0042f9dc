/**
 * node_exporter's textfile collector reads every `*.prom` file in its directory at each scrape, so the file must
 * be replaced whole: a temp file in the same directory (a dot name ending in .tmp, which the collector skips),
 * fsync, rename — host/atomic-file.ts, with its exclusive, no-follow create.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitError } from '../exit-codes.js';
import { writeFileAtomic } from './atomic-file.js';

export const TEXTFILE_NAME = 'asm_erdma.prom';

const errno = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

export function writeTextfile(dir: string, text: string): string {
  const path = join(dir, TEXTFILE_NAME);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new ExitError(
      'apply',
      `--textfile ${dir}: ${errno(e) === 'ENOENT' ? 'no such directory' : errno(e)}`,
      "give node_exporter's --collector.textfile.directory (it must exist)",
    );
  }
  if (!isDir) throw new ExitError('apply', `--textfile ${dir}: not a directory`, 'give the directory, not the file');
  try {
    writeFileAtomic(path, text, 0o644);
  } catch (e) {
    throw new ExitError('apply', `cannot write ${path}: ${errno(e)}`, 'run it as root, or fix the directory');
  }
  return path;
}
