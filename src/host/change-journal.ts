/**
 * What this run has changed so far, so that an interrupted run can say it in one line. The executor notes each
 * change as it starts and as it ends (host/executor.ts); nothing else writes here.
 */
let done: string[] = [];
let underWay: string[] = [];
let undone: string[] = [];

export const journal = {
  starting(changes: string[]): void {
    underWay = [...changes];
  },
  finished(change: string): void {
    done.push(change);
    underWay = underWay.filter((c) => c !== change);
  },
  /** Every change under way ended (ran, failed or was put back); nothing is in flight any more. */
  settled(): void {
    underWay = [];
  },
  putBack(change: string): void {
    undone.push(change);
  },
  reset(): void {
    done = [];
    underWay = [];
    undone = [];
  },
};

/** One line: what was changed, what was put back, what may have partly happened. */
export function interruptedSummary(): string {
  const parts: string[] = [];
  if (done.length > 0) parts.push(`changed: ${done.join(', ')}`);
  if (undone.length > 0) parts.push(`put back: ${undone.join(', ')}`);
  if (underWay.length > 0) parts.push(`under way, may have partly taken effect: ${underWay.join(', ')}`);
  if (parts.length === 0) return 'nothing was changed';
  return `${parts.join('; ')} — asm-erdma status shows the node now`;
}
