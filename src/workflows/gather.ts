/**
 * Parallel fact-gathering that fails the same way every time: it waits for every call (so no spinner is left
 * drawing and no late failure goes unseen), then reports tools missing from PATH first — all of them, by name —
 * and otherwise the first failure in argument order, never whichever happened to lose a race.
 */
import { ExitError } from '../exit-codes.js';
import { NOT_FOUND_WHERE, ToolNotFound } from '../host/host-errors.js';

function missingTools(e: unknown): string | undefined {
  return e instanceof ToolNotFound ? e.tools.join(' or ') : undefined;
}

export async function gather<T extends readonly unknown[]>(
  work: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const settled = await Promise.allSettled(work);
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length === 0) return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  const missing = failures.filter((e): e is ExitError => missingTools(e) !== undefined);
  const names = [...new Set(missing.map((e) => missingTools(e) as string))];
  if (names.length > 1) {
    const hints = [...new Set(missing.map((e) => e.hint).filter((h): h is string => Boolean(h)))];
    throw new ExitError(
      'missingTool',
      `not found ${NOT_FOUND_WHERE}: ${names.join(', ')}`,
      hints.join('; ') || undefined,
    );
  }
  throw missing[0] ?? failures[0];
}
