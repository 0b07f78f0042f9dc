/** A tool that is not on PATH at all (as opposed to one that ran and failed): exit 8, naming what to install. */
import { ExitError } from '../exit-codes.js';

/**
 * Where Alibaba Cloud Linux keeps ip, rdma, grubby and friends. PATH under cron, `su` or some sshd setups lacks
 * them, so the system tools we run are looked for here after PATH: never "install" what is installed.
 */
export const SYSTEM_TOOL_DIRS = ['/usr/sbin', '/sbin'] as const;

/** How "not found" is said, naming every place looked in. */
export const NOT_FOUND_WHERE = `on PATH, ${SYSTEM_TOOL_DIRS.join(' or ')}`;

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
