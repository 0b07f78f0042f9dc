/**
 * Values from /etc/sysconfig/asm-erdma become the defaults of the flags they stand for, for the commands that
 * use them; a flag given on the command line always wins. Each value goes through the flag's own parser.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ExitError } from '../exit-codes.js';
import { SYSCONFIG_KEYS, type SysconfigKey } from '../core/sysconfig.js';
import { readSysconfig, sysconfigPath } from '../host/sysconfig.js';
import { splitHint } from './common.js';

/** Which keys each command takes from the file. install-service reads the file itself (it may be an image's). */
const USES: Record<string, SysconfigKey[]> = {
  setup: ['ASM_ERDMA_METADATA_URL', 'ASM_ERDMA_INTERFACES', 'ASM_ERDMA_TIMEOUT', 'ASM_ERDMA_SETTLE'],
  reset: ['ASM_ERDMA_METADATA_URL', 'ASM_ERDMA_INTERFACES', 'ASM_ERDMA_TIMEOUT'],
  status: ['ASM_ERDMA_METADATA_URL', 'ASM_ERDMA_MIN_KERNEL'],
  // The same as status: asm_erdma_ready is what status would say.
  metrics: ['ASM_ERDMA_METADATA_URL', 'ASM_ERDMA_MIN_KERNEL'],
  'kernel check': ['ASM_ERDMA_MIN_KERNEL'],
  'kernel list': ['ASM_ERDMA_MIN_KERNEL'],
  'kernel upgrade': ['ASM_ERDMA_MIN_KERNEL'],
  hotfix: ['ASM_ERDMA_MIN_KERNEL'],
};

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function applySysconfig(cmd: Command): void {
  const keys = USES[commandPath(cmd)];
  if (!keys) return;
  const { path, entries } = readSysconfig(sysconfigPath());
  for (const key of keys) {
    const entry = entries.get(key);
    // --settle may not exist in this build: the key is accepted and simply not used.
    const option = cmd.options.find((o) => o.long === SYSCONFIG_KEYS[key].option);
    if (!entry || !option) continue;
    const attr = option.attributeName();
    if (cmd.getOptionValueSource(attr) === 'cli') continue;
    let value: unknown;
    try {
      const parse = option.parseArg as ((v: string, previous: unknown) => unknown) | undefined;
      if (option.long === '--interface') {
        // Each name through -i's own parser; duplicates dropped as -i drops them, with a Set (the list may be long).
        const words = entry.raw.split(/[\s,]+/).filter(Boolean);
        value = [...new Set(words.flatMap((w) => (parse ? (parse(w, undefined) as string[]) : [w])))];
      } else value = parse ? parse(entry.raw, undefined) : entry.raw;
    } catch (e) {
      if (!(e instanceof InvalidArgumentError)) throw e;
      const { reason, hint } = splitHint(e.message);
      throw new ExitError(
        'usage',
        `${path} line ${entry.line}: ${key}: ${reason}`,
        hint ?? `fix the line, or override it with ${option.long}`,
      );
    }
    cmd.setOptionValueWithSource(attr, value, 'config');
  }
}
