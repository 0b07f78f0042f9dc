/**
 * The built CLI running in a simulated node while the test watches its stderr: tests react to what it says
 * (a "waiting…" line) instead of sleeping, so they hold under any load.
 */
import { spawn } from 'node:child_process';
import { CLI, type RunResult, type SimNode } from '../../scripts/sim/sim-node.js';

export interface LiveCli {
  /** Resolves when stderr (so far) matches; rejects if the CLI exits first, or after `withinMs`. */
  waitFor(re: RegExp, withinMs?: number): Promise<void>;
  /** The CLI's result, with its wall time measured from the spawn. */
  done: Promise<RunResult & { ms: number }>;
}

export function startCli(node: SimNode, args: string[], env: Record<string, string> = {}): LiveCli {
  const vars = Object.entries(node.cliEnv(env)).map(([k, v]) => `${k}=${v}`);
  const started = Date.now();
  const child = spawn('ip', ['netns', 'exec', node.ns, 'env', ...vars, process.execPath, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const l of listeners) l();
  });
  const done = new Promise<RunResult & { ms: number }>((resolve) => {
    child.on('close', (code) => {
      exited = true;
      for (const l of listeners) l();
      resolve({ exitCode: code ?? 1, stdout, stderr, ms: Date.now() - started });
    });
  });
  const waitFor = (re: RegExp, withinMs = 60_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`no ${re} on stderr within ${withinMs} ms; stderr:\n${stderr}`)),
        withinMs,
      );
      const check = (): void => {
        if (re.test(stderr)) finish();
        else if (exited) finish(new Error(`the CLI exited before printing ${re}; stderr:\n${stderr}`));
      };
      const finish = (e?: Error): void => {
        clearTimeout(timer);
        listeners.delete(check);
        if (e) reject(e);
        else resolve();
      };
      listeners.add(check);
      check();
    });
  return { waitFor, done };
}
