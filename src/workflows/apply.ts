/**
 * Applies every NIC's actions in one `ip -batch` run. A NIC with a failed action is put back as it was: the
 * inverses of its actions that did succeed run newest first. Other NICs are unaffected. When ip stops the batch
 * part-way, the links are looked at to learn which actions took effect, and the same rule applies. A NIC whose
 * name cannot be written in batch syntax (a '#' in it) has its actions run as separate `ip` commands.
 */
import { batchLine } from '../core/ifname.js';
import { actionArgv, describeAction, inverseOf, tookEffect, type Action } from '../core/nic-plan.js';
import { ActionFailed, applyAction, applyBatch, observe, type BatchResult } from '../host/iproute.js';
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
  if (rollbackErrors.length > 0)
    return { result: 'failed', error: `${error}; rolling back also failed: ${rollbackErrors.join('; ')}` };
  return { result: done.length > 0 ? 'rolled-back' : 'failed', error };
}

/** One NIC's actions as separate `ip` commands, stopping at the first failure. */
async function applyOneByOne(runner: Runner, actions: Action[]): Promise<ApplyOutcome> {
  const done: Action[] = [];
  for (const action of actions) {
    try {
      await applyAction(runner, action);
      done.push(action);
    } catch (e) {
      if (!(e instanceof ActionFailed)) throw e;
      return rollBack(runner, done, e.message);
    }
  }
  return { result: runner.dryRun ? 'planned' : 'changed' };
}

/** One outcome per plan (a NIC's ordered actions), in the same order. */
export async function applyPlans(runner: Runner, plans: Action[][]): Promise<ApplyOutcome[]> {
  const batchable = plans.map((actions) => actions.every((a) => batchLine(actionArgv(a)) !== undefined));
  const lines = plans.flatMap((actions, nic) => (batchable[nic] ? actions.map((action) => ({ nic, action })) : []));
  const batch: BatchResult =
    lines.length > 0
      ? await applyBatch(
          runner,
          lines.map((l) => l.action),
        )
      : { failed: new Map() };
  const after = batch.stopped ? (await observe(runner)).links : [];
  return Promise.all(
    plans.map(async (actions, nic): Promise<ApplyOutcome> => {
      if (actions.length === 0) return { result: 'unchanged' };
      if (!batchable[nic]) return applyOneByOne(runner, actions);
      const mine = lines.map((l, i) => ({ ...l, i })).filter((l) => l.nic === nic);
      const uncertain = (i: number): boolean => batch.stopped !== undefined && i >= batch.stopped.from;
      const ran = (l: { i: number; action: Action }): boolean =>
        !batch.failed.has(l.i) && (!uncertain(l.i) || tookEffect(l.action, after));
      const firstFailure = mine.find((l) => !ran(l));
      if (!firstFailure) return { result: runner.dryRun ? 'planned' : 'changed' };
      const why = batch.failed.get(firstFailure.i);
      const error =
        why !== undefined
          ? `'${describeAction(firstFailure.action)}' failed: ${why}`
          : `ip -batch stopped before '${describeAction(firstFailure.action)}' ran: ${batch.stopped?.message}`;
      return rollBack(
        runner,
        mine.filter(ran).map((l) => l.action),
        error,
      );
    }),
  );
}

export const describeAll = (actions: Action[]): string[] => actions.map(describeAction);
