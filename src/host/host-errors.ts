/**
 * The errors a workflow may tell apart (instanceof), beside host.ts: they are part of what the Host answers, so
 * workflows never import the modules that throw them.
 */
import type { Effect } from '../core/effects.js';
import { ExitError } from '../exit-codes.js';

/**
 * Where Alibaba Cloud Linux keeps ip, rdma, grubby and friends. PATH under cron, `su` or some sshd setups lacks
 * them, so the system tools we run are looked for here after PATH: never "install" what is installed.
 */
export const SYSTEM_TOOL_DIRS = ['/usr/sbin', '/sbin'] as const;

/** How "not found" is said, naming every place looked in. */
export const NOT_FOUND_WHERE = `on PATH, ${SYSTEM_TOOL_DIRS.join(' or ')}`;

/** A tool found neither on PATH nor in SYSTEM_TOOL_DIRS (as opposed to one that ran and failed): exit 8. */
export class ToolNotFound extends ExitError {
  constructor(
    /** Alternatives that would each do, e.g. yum or dnf. */
    readonly tools: string[],
    message: string,
    hint: string | undefined,
  ) {
    super('missingTool', message, hint);
  }
}

/** No RDMA netlink (the erdma driver not loaded yet): worth waiting for at boot; exit 4 otherwise. */
export class RdmaUnavailable extends Error {}

export function rdmaError(e: RdmaUnavailable): ExitError {
  return new ExitError('noDevice', e.message, 'modprobe erdma, or check that this instance type has an eRDMA NIC');
}

export type MetadataFailure = 'unreachable' | 'timeout' | 'http' | 'too-large' | 'closed';

export class MetadataError extends Error {
  constructor(
    readonly failure: MetadataFailure,
    readonly path: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The executor's `apply` failed part-way: what failed, and what was put back. */
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
