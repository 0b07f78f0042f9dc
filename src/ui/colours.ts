/**
 * Colours follow the stream each piece of output goes to: the status table on stdout is plain when stdout is a
 * pipe even if stderr (logs, errors) is a terminal. --color=auto|always|never; auto means that stream is a TTY,
 * NO_COLOR is unset (or empty) and TERM is not dumb.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export type ColorMode = 'auto' | 'always' | 'never';
export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

let mode: ColorMode = 'auto';

export function setColorMode(m: ColorMode): void {
  mode = m;
}

function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env, m: ColorMode = mode): boolean {
  if (m !== 'auto') return m === 'always';
  return (env.NO_COLOR === undefined || env.NO_COLOR === '') && Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function coloursFor(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
  m: ColorMode = mode,
): ChalkInstance {
  return new Chalk({ level: wantsColour(stream, env, m) ? 1 : 0 });
}
