/**
 * The one executor of changes. It owns dry-run (nothing runs; what would run is returned) and rollback:
 * - `changeLinks` runs every NIC's `ip` actions in one `ip -batch`; a NIC with a failed action is put back as it
 *   was (the inverses of its actions that succeeded, newest first) while other NICs keep theirs. When ip stops
 *   the batch part-way, the links are looked at to learn which actions took effect. A NIC whose name cannot be
 *   written in batch syntax (a '#' in it) has its actions run as separate `ip` commands.
 * - `apply` runs other effects in order, all or nothing: on a failure the inverses of what succeeded run newest
 *   first and the error says what was put back and what could not be.
 * It is also the one place that knows whether this run changes anything: the privilege a change needs, the run
 * lock and setup's record (whose check creates the run directory) are asked of it, and each is skipped under
 * dry-run here, never in a command or workflow.
 * What actually changes the node is the Backend (host/node-host.ts on a node, an in-memory one in tests).
 */
import { describeEffect, inverseEffect, type Effect } from '../core/effects.js';
import { batchLine } from '../core/ifname.js';
import type { LinkInfo } from '../core/iproute-json.js';
import { actionArgv, describeAction, inverseOf, tookEffect, type Action } from '../core/nic-plan.js';
import type { Deadline } from '../core/deadline.js';
import type { LinkResult, OwnedRecord } from '../core/owned-record.js';
import { ExitCode, ExitError } from '../exit-codes.js';
import { EffectsFailed } from './host-errors.js';
import { blameLockWait, type Lock } from './lock.js';

export interface BatchResult {
  /** Lines that ran and failed (index → iproute2's message); every line not here and before `stopped` ran. */
  failed: Map<number, string>;
  /** Set when ip ended the batch early: lines from `from` on may or may not have run. */
  stopped?: { from: number; message: string };
}

/** An `ip` action that failed, with iproute2's one-line reason. */
export class ActionFailed extends Error {
  constructor(
    readonly action: Action,
    readonly detail: string,
  ) {
    super(`'${describeAction(action)}' failed: ${detail}`);
  }
}

export interface Backend {
  ipBatch(actions: Action[]): Promise<BatchResult>;
  /** One action; throws ActionFailed when ip refuses it. */
  ip(action: Action): Promise<void>;
  links(): Promise<LinkInfo[]>;
  perform(effect: Effect): Promise<void>;
  /** Whether this process holds the privilege (never throws). */
  hasPrivilege(privilege: Privilege): boolean;
  /** setup's record after checking it can be read and, when `writable`, written (creating the run directory). */
  ownedRecord(o: { writable: boolean }): { path: string; record: OwnedRecord };
  /** The run lock, waiting for another run within the deadline (`onWait` once when it has to wait). */
  lock(deadline: Deadline, onWait: () => void): Promise<Lock>;
  /** Asks before a change that cannot be undone (a package install); throws when the answer is no. */
  confirm(question: string, yes: boolean): Promise<void>;
}

/**
 * What a change needs: the NICs need CAP_NET_ADMIN (a container may run as root without it, or the reverse);
 * unit files, systemctl and packages need uid 0.
 */
export type Privilege = 'net-admin' | 'root';

export interface LinkOutcome {
  result: LinkResult;
  error?: string;
}

export interface Applied {
  /** What ran (or, under dry-run, would run), in order. */
  changes: string[];
  /** False under dry-run (nothing was changed); true when the effects ran (or there were none). */
  applied: boolean;
}

export class Executor {
  constructor(
    private readonly backend: Backend,
    private readonly dryRun: boolean,
  ) {}

  /** False under dry-run: `apply` and `changeLinks` then only say what would run. */
  get applies(): boolean {
    return !this.dryRun;
  }

  /** Refuses a run that would change the node without the privilege for it (dry-run needs none). */
  requirePrivilege(privilege: Privilege, what: string): void {
    if (this.dryRun || this.backend.hasPrivilege(privilege)) return;
    const needs = privilege === 'net-admin' ? 'root (CAP_NET_ADMIN)' : 'root';
    throw new ExitError('needsRoot', `${what} needs ${needs}; nothing was changed`, 'run it with sudo, or as root');
  }

  /**
   * setup's record, checked before any NIC is touched. Checking that it can be written creates the run directory
   * and a probe file, so under dry-run it is only read.
   */
  ownedRecord(): { path: string; record: OwnedRecord } {
    return this.backend.ownedRecord({ writable: !this.dryRun });
  }

  /**
   * `work` holding the run lock (dry-run only reads, so it takes none). After a lock wait that used up the
   * deadline, a later timeout is blamed on the other run (exit 7).
   */
  async exclusively<T>(deadline: Deadline, onWait: () => void, work: () => Promise<T>): Promise<T> {
    if (this.dryRun) return work();
    const waitStarted = Date.now();
    const lock = await this.backend.lock(deadline, onWait);
    const lockWaitMs = Date.now() - waitStarted;
    try {
      return await work();
    } catch (e) {
      throw blameLockWait(e, deadline, lockWaitMs);
    } finally {
      await lock.release();
    }
  }

  /** Asks before a change that cannot be undone; under dry-run nothing is asked (nothing will change). */
  async confirm(question: string, yes: boolean): Promise<void> {
    if (!this.dryRun) await this.backend.confirm(question, yes);
  }

  /** Runs effects in order, all or nothing. */
  async apply(effects: Effect[]): Promise<Applied> {
    const changes = effects.map(describeEffect);
    if (this.dryRun) return { changes, applied: false };
    const done: Effect[] = [];
    for (const effect of effects) {
      try {
        await this.backend.perform(effect);
        done.push(effect);
      } catch (e) {
        const { undone, undoErrors } = await undoNewestFirst(done, inverseEffect, async (inverse) => {
          await this.backend.perform(inverse);
          return describeEffect(inverse);
        });
        throw new EffectsFailed(effect, e, undone, undoErrors);
      }
    }
    return { changes, applied: true };
  }

  /** Each NIC's record with the outcome of its actions added, in the same order. */
  async changeLinks<T>(nics: readonly T[], actionsOf: (nic: T) => Action[]): Promise<(T & { outcome: LinkOutcome })[]> {
    const plans = nics.map((nic) => ({ nic, actions: actionsOf(nic) }));
    if (this.dryRun) {
      return plans.map(({ nic, actions }) => ({
        ...nic,
        outcome: { result: actions.length > 0 ? 'planned' : 'unchanged' },
      }));
    }
    const batchable = plans.map(({ actions }) => actions.every((a) => batchLine(actionArgv(a)) !== undefined));
    const lines = plans.flatMap(({ actions }, nic) =>
      batchable[nic] ? actions.map((action) => ({ nic, action })) : [],
    );
    const batch: BatchResult = lines.length > 0 ? await this.batch(lines.map((l) => l.action)) : { failed: new Map() };
    const after = batch.stopped ? await this.backend.links() : [];
    const changed: (T & { outcome: LinkOutcome })[] = [];
    // One NIC after another: a rollback's `ip` commands never interleave with another NIC's.
    for (const [i, { nic, actions }] of plans.entries()) {
      let outcome: LinkOutcome;
      if (actions.length === 0) outcome = { result: 'unchanged' };
      else if (!batchable[i]) outcome = await this.oneByOne(actions);
      else outcome = await this.settleBatched(lines, i, batch, after);
      changed.push({ ...nic, outcome });
    }
    return changed;
  }

  /**
   * The batch; one killed at the deadline (a hung ip) stopped somewhere unknown, which the links then tell, so
   * what it did change is put back like any other part-way stop.
   */
  private async batch(actions: Action[]): Promise<BatchResult> {
    try {
      return await this.backend.ipBatch(actions);
    } catch (e) {
      if (!(e instanceof ExitError) || e.code !== ExitCode.toolTimeout) throw e;
      return { failed: new Map(), stopped: { from: 0, message: e.message } };
    }
  }

  private async settleBatched(
    lines: { nic: number; action: Action }[],
    nic: number,
    batch: BatchResult,
    after: LinkInfo[],
  ): Promise<LinkOutcome> {
    const mine = lines.map((l, i) => ({ ...l, i })).filter((l) => l.nic === nic);
    const uncertain = (i: number): boolean => batch.stopped !== undefined && i >= batch.stopped.from;
    const ran = (l: { i: number; action: Action }): boolean =>
      !batch.failed.has(l.i) && (!uncertain(l.i) || tookEffect(l.action, after));
    const firstFailure = mine.find((l) => !ran(l));
    if (!firstFailure) return { result: 'changed' };
    const why = batch.failed.get(firstFailure.i);
    const what = describeAction(firstFailure.action);
    const error =
      why !== undefined
        ? `'${what}' failed: ${why}`
        : `ip -batch stopped before '${what}' ran: ${batch.stopped?.message}`;
    return this.rollBack(
      mine.filter(ran).map((l) => l.action),
      error,
    );
  }

  /** One NIC's actions as separate `ip` commands, stopping at the first failure. */
  private async oneByOne(actions: Action[]): Promise<LinkOutcome> {
    const done: Action[] = [];
    for (const action of actions) {
      try {
        await this.backend.ip(action);
        done.push(action);
      } catch (e) {
        if (!(e instanceof ActionFailed)) throw e;
        return this.rollBack(done, e.message);
      }
    }
    return { result: 'changed' };
  }

  /** The inverses of what ran, newest first. */
  private async rollBack(done: Action[], error: string): Promise<LinkOutcome> {
    const { undoErrors } = await undoNewestFirst(done, inverseOf, async (undo) => {
      await this.backend.ip(undo);
      return describeAction(undo);
    });
    if (undoErrors.length > 0) {
      return { result: 'failed', error: `${error}; rolling back also failed: ${undoErrors.join('; ')}` };
    }
    return { result: done.length > 0 ? 'rolled-back' : 'failed', error };
  }
}

/**
 * The one rollback loop: the inverses of what ran, newest first (a change without one is skipped); a failing
 * undo is noted and the rest still run. Returns what was undone (as `run` describes it) and what failed.
 */
async function undoNewestFirst<T>(
  done: T[],
  inverse: (change: T) => T | undefined,
  run: (undo: T) => Promise<string>,
): Promise<{ undone: string[]; undoErrors: string[] }> {
  const undone: string[] = [];
  const undoErrors: string[] = [];
  for (const undo of [...done].reverse().map(inverse)) {
    if (undo === undefined) continue;
    try {
      undone.push(await run(undo));
    } catch (u) {
      undoErrors.push(u instanceof Error ? u.message : String(u));
    }
  }
  return { undone, undoErrors };
}
