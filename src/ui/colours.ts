/** Colours only for a human at a terminal: off under NO_COLOR (any value) or when the stream is not a TTY. */
import { Chalk, type ChalkInstance } from 'chalk';

export function coloursFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const off = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || !stream.isTTY || env.TERM === 'dumb';
  return new Chalk({ level: off ? 0 : 1 });
}
