// Lists every line over 120 characters in the .ts and .js files under src/, test/ and scripts/, and exits 1 if
// there is one. Biome's formatter wraps code at 120 but cannot split a long string literal or comment.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX = 120;
const ROOTS = ['src', 'test', 'scripts'];

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
    return /\.(ts|js)$/.test(e.name) ? [p] : [];
  });
}

const offenders = ROOTS.flatMap(sources)
  .sort()
  .flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (line.length > MAX ? [`${file}:${i + 1}: ${line.length} characters`] : [])),
  );
for (const o of offenders) console.log(o);
if (offenders.length > 0) {
  console.log(`${offenders.length} line(s) over ${MAX} characters`);
  process.exit(1);
}
