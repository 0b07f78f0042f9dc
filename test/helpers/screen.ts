/**
 * What a terminal shows for raw pty output, line by line: carriage returns move to column 0, erase-line escapes
 * clear, cursor-column escapes move, other escapes (colours, cursor visibility) draw nothing. Enough to tell
 * "⠋ querying…error: …" on one line from a spinner that was cleared first.
 */
export function screenLines(raw: string): string[] {
  const out: string[] = [];
  for (const line of raw.split('\n')) {
    let cells: string[] = [];
    let col = 0;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] as string;
      if (ch === '\r') {
        col = 0;
      } else if (ch === '\u001b') {
        const m = /^\u001b\[([?\d;]*)([A-Za-z])/.exec(line.slice(i));
        if (!m) continue;
        const [all, arg = '', cmd] = m as unknown as [string, string, string];
        if (cmd === 'K')
          cells = arg === '2' ? [] : arg === '1' ? cells.map((c, k) => (k <= col ? ' ' : c)) : cells.slice(0, col);
        else if (cmd === 'G') col = Math.max(0, Number(arg || '1') - 1);
        i += all.length - 1;
      } else {
        while (cells.length < col) cells.push(' ');
        cells[col++] = ch;
      }
    }
    out.push(cells.join('').trimEnd());
  }
  return out;
}

/** Escape sequences present in a text (colours and the like). */
export const hasEscapes = (s: string): boolean => s.includes('\u001b[');

/** SGR escapes (colours, bold, dim) — not cursor movement, which a spinner needs whatever the colour mode. */
export const hasColour = (s: string): boolean => /\u001b\[[\d;]*m/.test(s);
