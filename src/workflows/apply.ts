/**
 * Applies every NIC's actions in one `ip -batch` run. A NIC with a failed action is put back as it was: the
 * inverses of its actions that did succeed run newest first. Other NICs are unaffected.
 */
import { actionArgv, describeAction, inverseOf, type Action } from '../core/nic-plan.js';
import { ActionFailed, applyAction, applyBatch } from '../host/iproute.js';
import type { Runner } from '../host/runner.js';

export type NicResult = 'unchanged' | 'changed' | 'planned' | 'failed' | 'rolled-back';

export interface ApplyOutcome {
  result: NicResult;
  error?: string;
}

async function rollBack(runner: Runner, done: Action[], error: string): Promise<ApplyOutcome> {
  const rollbackErrors: string[] = [];
  for (const undo of [...done].reverse().map(inverseOf)) {
    try {
      await applyAction(runner, undo);
    } catch (u) {
      rollbackErrors.push(u instanceof ActionFailed ? u.message : String(u));
    }
  }
  if (rollbackErrors.length > 0) return { result: 'failed', error: `${error}; rolling back also failed: ${rollbackErrors.join('; ')}` };
  return { result: done.length > 0 ? 'rolled-back' : 'failed', error };
}

/** One outcome per plan (a NIC's ordered actions), in the same order. */
export async function applyPlans(runner: Runner, plans: Action[][]): Promise<ApplyOutcome[]> {
  const lines = plans.flatMap((actions, nic) => actions.map((action) => ({ nic, action })));
  const failures = lines.length > 0 ? await applyBatch(runner, lines.map((l) => l.action)) : new Map<number, string>();
  return Promise.all(
    plans.map(async (actions, nic): Promise<ApplyOutcome> => {
      if (actions.length === 0) return { result: 'unchanged' };
      const mine = lines.map((l, i) => ({ ...l, i })).filter((l) => l.nic === nic);
      const firstFailure = mine.find((l) => failures.has(l.i));
      if (!firstFailure) return { result: runner.dryRun ? 'planned' : 'changed' };
      const error = `'ip ${actionArgv(firstFailure.action).join(' ')}' failed: ${failures.get(firstFailure.i)}`;
      return rollBack(runner, mine.filter((l) => !failures.has(l.i)).map((l) => l.action), error);
    }),
  );
}

export const describeAll = (actions: Action[]): string[] => actions.map(describeAction);
