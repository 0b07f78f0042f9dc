/**
 * rpm's version comparison (rpmvercmp.c), not semver: split into digit and letter runs, skip separators,
 * numbers compare by value and beat letters, `~` sorts before everything (even the end), `^` after the end
 * but before anything else. Verified against rpm's own test vectors (shared/facts/rpmvercmp-vectors.tsv).
 */

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i] as string) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j] as string) && b[j] !== '~' && b[j] !== '^') j++;

    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i === a.length) return -1;
      if (j === b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(a[i] as string);
    const inRun = numeric ? isDigit : isAlpha;
    const startA = i;
    const startB = j;
    while (i < a.length && inRun(a[i] as string)) i++;
    while (j < b.length && inRun(b[j] as string)) j++;
    let segA = a.slice(startA, i);
    let segB = b.slice(startB, j);
    // Runs of different types: a number is newer than letters.
    if (segB === '') return numeric ? 1 : -1;
    if (numeric) {
      segA = segA.replace(/^0+/, '');
      segB = segB.replace(/^0+/, '');
      if (segA.length !== segB.length) return segA.length > segB.length ? 1 : -1;
    }
    if (segA !== segB) return segA > segB ? 1 : -1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}
