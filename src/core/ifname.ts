/**
 * Interface names as the kernel accepts them, and how one is written into an `ip -batch` line. Names come from
 * the kernel (ip -j) and rdma, so anything but a valid name means a broken tool or a hostile one.
 */

const PLAIN_NAME = /^[!-.0-9;-~]{1,15}$/;

/** Linux's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or white space (the kernel's isspace). */
export function invalidIfNameReason(name: string): string | undefined {
  // The usual name (printable ASCII, none of / or :) needs no byte-wise look: lists of a million names stay fast.
  if (PLAIN_NAME.test(name) && name !== '.' && name !== '..') return undefined;
  const bytes = new TextEncoder().encode(name);
  if (bytes.length === 0) return 'it is empty';
  if (bytes.length > 15) return `it is ${bytes.length} bytes long (the kernel allows 15)`;
  if (name === '.' || name === '..') return 'the kernel does not allow "." or ".."';
  // The kernel's isspace() also counts 0xA0 (Latin-1 no-break space) and NUL ends the string.
  const bad = bytes.find(
    (b) => b === 0x2f || b === 0x3a || b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0 || b === 0,
  );
  if (bad !== undefined)
    return `it contains ${JSON.stringify(String.fromCharCode(bad))}, which the kernel does not allow`;
  return undefined;
}

/**
 * One argument of an `ip -batch` line, written so iproute2 reads it back unchanged (lib/utils.c): getcmdline()
 * cuts every line at its first '#', quotes or not, and joins a line ending in a backslash with the next;
 * makeargs() splits at " \t\r\n" and reads a word that starts with ' or " up to the next same quote, with no
 * escapes (an unterminated one makes ip exit at once, ending the batch). Undefined when the word cannot be
 * written at all: then the action runs as its own `ip` command (an argv, nothing parsed).
 */
export function batchWord(word: string): string | undefined {
  if (word === '' || /[#\n\r\0]/.test(word)) return undefined;
  // A bare word is read literally unless it starts with a quote, holds a blank, or ends in a backslash.
  if (!/^['"]/.test(word) && !/[ \t]/.test(word) && !word.endsWith('\\')) return word;
  if (!word.includes("'")) return `'${word}'`;
  if (!word.includes('"')) return `"${word}"`;
  return undefined;
}

/** A batch line for an argv, or undefined when one of its words cannot be written in batch syntax. */
export function batchLine(argv: string[]): string | undefined {
  const words = argv.map(batchWord);
  return words.every((w): w is string => w !== undefined) ? words.join(' ') : undefined;
}

/** A word as a POSIX shell reads it, for commands printed to the user (dry-run, reports). */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_.,:@%+=/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
