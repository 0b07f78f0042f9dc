/** Asks before a package change on a TTY; without one (and without --yes) refuses instead of guessing. */
import { createInterface } from 'node:readline/promises';
import { ExitError } from '../exit-codes.js';

export async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  const what = question.replace(/\?$/, '');
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new ExitError(
      'confirmationNeeded',
      `${what}: not confirmed, and there is no terminal to ask on; nothing was changed`,
      'add --yes to go ahead without asking',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      throw new ExitError(
        'confirmationNeeded',
        `${what}: declined; nothing was changed`,
        'run it again and answer y, or add --yes',
      );
    }
  } finally {
    rl.close();
  }
}
