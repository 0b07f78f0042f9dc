/**
 * The one error line: `error: <what was wrong> (<what to do>)`. An error raised without a hint gets the
 * general advice for its exit code, so no error ever leaves the user without a next step.
 */
import type { ExitCodeName } from '../exit-codes.js';

const GENERAL_HINT: Partial<Record<ExitCodeName, string>> = {
  internal: 'a bug: please report it with the output of the same command and -v',
  usage: 'see asm-erdma --help',
  needsRoot: 'run it with sudo, or as root',
  noDevice: 'asm-erdma status shows what this node has',
  metadata: 'check what the metadata server at --metadata-url answers from this node, e.g. with curl',
  apply: 'run the same command again with -v to see every step',
  locked: 'wait for the other asm-erdma run, or give it a longer --timeout',
  missingTool: 'run the tool named here by hand to see what is wrong with it',
  toolTimeout: 'run the tool named here by hand to see why it hangs',
  packageFailed: 'run the yum command by hand to see its whole output',
  packageNotFound: 'check the enabled repositories: yum repolist',
  confirmationNeeded: 'run it again and answer y, or add --yes',
};

/** One line whatever the text holds: tools' multi-line messages are folded into it. */
const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, '; ').trim();

export function errorLine(
  message: string,
  hint: string | undefined,
  code: ExitCodeName | undefined,
): { text: string; hint: string | undefined } {
  const h = hint ?? (code ? GENERAL_HINT[code] : undefined);
  return { text: `${oneLine(message)}${h ? ` (${oneLine(h)})` : ''}`, hint: h === undefined ? undefined : oneLine(h) };
}
