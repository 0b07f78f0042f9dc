/**
 * Colours follow the stream each piece of output goes to: the status table on stdout is plain when stdout is a
 * pipe even if stderr (logs, errors) is a terminal. --color=auto|always|never; auto means that stream is a TTY,
 * NO_COLOR is unset (or empty) and TERM is not dumb.
 *
 * Four 16-colour SGR styles, the codes chalk writes at level 1. Not chalk itself: loading it runs its own
 * terminal detection (node:tty and node:os, ~1 ms of every start) to decide what --color already decides.
 */
export type ColorMode = 'auto' | 'always' | 'never';
export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

export type Paint = (text: string) => string;

export interface Colours {
  /** 1 when colours are on, 0 when off (as chalk's level). */
  readonly level: 0 | 1;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly dim: Paint;
}

let mode: ColorMode = 'auto';

export function setColorMode(m: ColorMode): void {
  mode = m;
}

function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env, m: ColorMode = mode): boolean {
  if (m !== 'auto') return m === 'always';
  return (env.NO_COLOR === undefined || env.NO_COLOR === '') && Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    text === '' ? '' : `\u001b[${open}m${text}\u001b[${close}m`;

const ON: Colours = { level: 1, red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22) };
const plain: Paint = (text) => text;
const OFF: Colours = { level: 0, red: plain, green: plain, yellow: plain, dim: plain };

export function coloursFor(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
  m: ColorMode = mode,
): Colours {
  return wantsColour(stream, env, m) ? ON : OFF;
}
