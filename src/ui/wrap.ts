/**
 * Word wrap for a table column: the text's lines, each at most `width` characters (a word longer than that
 * gets a line of its own, unbroken: a path or command stays copyable).
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** `first` then `text` wrapped to the terminal, every continuation under the column where `text` started. */
export function column(first: string, text: string, indent: number, columns: number | undefined): string[] {
  // Piped (no columns): one line per row, so awk and grep see whole rows.
  if (!columns || columns - indent < 20) return [`${first}${text}`];
  const [head = '', ...rest] = wrapWords(text, columns - indent);
  return [`${first}${head}`, ...rest.map((l) => `${' '.repeat(indent)}${l}`)];
}
