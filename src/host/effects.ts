/**
 * A small executor for changes that are not `ip` actions (unit files, systemctl verbs): each change is an Effect
 * that can describe itself and says how to undo it from what was observed before it ran. Under dry-run nothing
 * runs; on a failure the inverses of the changes that succeeded run newest first, and the error says what was
 * put back and what could not be.
 */
import { ExitError } from '../exit-codes.js';

export interface Effect {
  /** The exact command or file change, for dry-run and the report. */
  readonly description: string;
  run(): Promise<void>;
  /** What undoes run(), built from what was observed before; undefined when nothing needs undoing. */
  inverse(): Effect | undefined;
}

export class EffectsFailed extends ExitError {
  constructor(
    readonly failed: Effect,
    readonly reason: unknown,
    /** Inverses that ran, newest first. */
    readonly undone: string[],
    readonly undoErrors: string[],
  ) {
    const why = reason instanceof Error ? reason.message : String(reason);
    const back =
      undoErrors.length > 0
        ? `; putting back also failed: ${undoErrors.join('; ')}`
        : undone.length > 0
          ? `; put back as it was: ${undone.join(', ')}`
          : '; nothing was changed';
    super('apply', `${why}${back}`, reason instanceof ExitError ? reason.hint : undefined);
  }
}

/** Runs the effects in order and returns their descriptions; under dry-run only returns them. */
export async function runEffects(effects: Effect[], dryRun: boolean): Promise<string[]> {
  if (dryRun) return effects.map((e) => e.description);
  const done: Effect[] = [];
  for (const effect of effects) {
    try {
      await effect.run();
      done.push(effect);
    } catch (e) {
      const undone: string[] = [];
      const undoErrors: string[] = [];
      for (const d of [...done].reverse()) {
        const inverse = d.inverse();
        if (!inverse) continue;
        try {
          await inverse.run();
          undone.push(inverse.description);
        } catch (u) {
          undoErrors.push(u instanceof Error ? u.message : String(u));
        }
      }
      throw new EffectsFailed(effect, e, undone, undoErrors);
    }
  }
  return done.map((e) => e.description);
}

/** An effect from plain functions. */
export function effect(
  description: string,
  run: () => Promise<void> | void,
  inverse?: () => Effect | undefined,
): Effect {
  return { description, run: async () => run(), inverse: inverse ?? (() => undefined) };
}
