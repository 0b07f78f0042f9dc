/** A tool that is not on PATH at all (as opposed to one that ran and failed): exit 8, naming what to install. */
import { ExitError } from '../exit-codes.js';

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
