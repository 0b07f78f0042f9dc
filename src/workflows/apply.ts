/** Runs a NIC's actions in order; when one fails, runs the inverses of those already done, newest first. */
import { describeAction, inverseOf, type Action } from '../core/nic-plan.js';
import { ActionFailed, applyAction } from '../host/iproute.js';
import type { Runner } from '../host/runner.js';

export type NicResult = 'unchanged' | 'changed' | 'planned' | 'failed' | 'rolled-back';

export interface ApplyOutcome {
  result: NicResult;
  error?: string;
}

export async function applyNicActions(runner: Runner, actions: Action[]): Promise<ApplyOutcome> {
  if (actions.length === 0) return { result: 'unchanged' };
  const done: Action[] = [];
  for (const action of actions) {
    try {
      await applyAction(runner, action);
      done.push(action);
    } catch (e) {
      if (!(e instanceof ActionFailed)) throw e;
      const rollbackErrors: string[] = [];
      for (const undo of done.reverse().map(inverseOf)) {
        try {
          await applyAction(runner, undo);
        } catch (u) {
          rollbackErrors.push(u instanceof ActionFailed ? u.message : String(u));
        }
      }
      if (rollbackErrors.length > 0) {
        return { result: 'failed', error: `${e.message}; rolling back also failed: ${rollbackErrors.join('; ')}` };
      }
      return { result: done.length > 0 ? 'rolled-back' : 'failed', error: e.message };
    }
  }
  return { result: runner.dryRun ? 'planned' : 'changed' };
}

export const describeAll = (actions: Action[]): string[] => actions.map(describeAction);
