/** One overall deadline per run, shared by the lock wait, device wait and metadata requests. */
export class Deadline {
  readonly at: number;
  constructor(
    readonly totalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.at = now() + totalMs;
  }
  remaining(): number {
    return Math.max(0, this.at - this.now());
  }
  expired(): boolean {
    return this.remaining() === 0;
  }
}

/** Exponential backoff with jitter (half fixed, half random) so concurrent retries do not stampede. */
export function backoffMs(attempt: number, baseMs = 200, capMs = 2000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A sleep that ends at once (resolving) when `signal` aborts, so a loop waiting on it never outlives its caller. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
