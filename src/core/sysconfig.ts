/**
 * /etc/sysconfig/asm-erdma: defaults an operator sets once (the RHEL convention; the boot unit names it in
 * EnvironmentFile=). `KEY=value` lines, `#` or `;` comments, blank lines, a value optionally in "double" or
 * 'single' quotes — the subset systemd and a shell both read the same way. An unknown key or a bad value is an
 * error naming its line: a typo must not silently fall back to a default. A `#` after blanks behind a value is
 * a comment to a shell but part of the value to systemd, so it is refused rather than guessed.
 */
import {
  checkInterfaceList,
  checkKernelRelease,
  checkMetadataUrl,
  checkSeconds,
  checkSecondsOrZero,
  type Checked,
} from './option-values.js';

export const SYSCONFIG_PATH = '/etc/sysconfig/asm-erdma';

/** What each key sets; `option` is the flag it stands in for (flags override the file). */
export const SYSCONFIG_KEYS = {
  ASM_ERDMA_METADATA_URL: { option: '--metadata-url', check: checkMetadataUrl },
  ASM_ERDMA_INTERFACES: { option: '--interface', check: checkInterfaceList },
  ASM_ERDMA_MIN_KERNEL: { option: '--min', check: checkKernelRelease },
  ASM_ERDMA_TIMEOUT: { option: '--timeout', check: (t: string) => checkSeconds(t, '120') },
  ASM_ERDMA_SETTLE: { option: '--settle', check: (t: string) => checkSecondsOrZero(t) },
} as const satisfies Record<string, { option: string; check: (text: string) => Checked<unknown> }>;

export type SysconfigKey = keyof typeof SYSCONFIG_KEYS;

export interface SysconfigEntry {
  key: SysconfigKey;
  /** The value as written, without its quotes: what the flag would have been given. */
  raw: string;
  line: number;
}

export type SysconfigParse =
  | { ok: true; entries: Map<SysconfigKey, SysconfigEntry> }
  | { ok: false; line: number; message: string; hint: string };

const isKey = (k: string): k is SysconfigKey => Object.hasOwn(SYSCONFIG_KEYS, k);

function unquote(value: string): string | undefined {
  const q = value[0];
  if (q !== '"' && q !== "'") return /["']/.test(value) ? undefined : value;
  if (value.length < 2 || value.at(-1) !== q) return undefined;
  const inner = value.slice(1, -1);
  return inner.includes(q) || inner.includes('\\') || (q === '"' && /[$`]/.test(inner)) ? undefined : inner;
}

/** Parses and validates every line; the last assignment of a key wins, as in a shell. Empty means unset. */
export function parseSysconfig(text: string): SysconfigParse {
  const entries = new Map<SysconfigKey, SysconfigEntry>();
  const lines = text.split('\n');
  for (const [i, full] of lines.entries()) {
    const line = i + 1;
    const t = full.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(t);
    if (!m)
      return {
        ok: false,
        line,
        message: `'${short(t)}' is not a KEY=value line`,
        hint: 'e.g. ASM_ERDMA_TIMEOUT=120; comments start with #',
      };
    const key = m[1] as string;
    if (!isKey(key)) {
      return {
        ok: false,
        line,
        message: `unknown key ${key}`,
        hint: `known keys: ${Object.keys(SYSCONFIG_KEYS).join(', ')}`,
      };
    }
    const inline = inlineComment(m[2] as string);
    if (inline !== undefined) {
      return {
        ok: false,
        line,
        message: `${key}: '${short(inline)}' after the value is not a comment (systemd reads it as part of the value)`,
        hint: 'put the comment on a line of its own, starting with #',
      };
    }
    const raw = unquote(m[2] as string);
    if (raw === undefined) {
      return {
        ok: false,
        line,
        message: `${key}: unbalanced or unsupported quoting in ${short(m[2] as string)}`,
        hint: 'quote the whole value once, e.g. ASM_ERDMA_INTERFACES="eth1 eth2"',
      };
    }
    if (raw.trim() === '') {
      entries.delete(key);
      continue;
    }
    const c = SYSCONFIG_KEYS[key].check(raw.trim());
    if (!c.ok) return { ok: false, line, message: `${key}: ${c.reason}`, hint: c.hint };
    entries.set(key, { key, raw: raw.trim(), line });
  }
  return { ok: true, entries };
}

/** From an unquoted `#` that follows a blank to the end: what a shell would drop as a comment; else undefined. */
function inlineComment(value: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && i > 0 && /\s/.test(value[i - 1] as string)) return value.slice(i);
  }
  return undefined;
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
