/** Runs the built CLI as a user would (outside any namespace): for commands that touch no NIC. */
import { execa } from 'execa';
import { CLI, inPrivateMounts, type RunResult } from '../../scripts/sim/sim-node.js';

export interface RunOptions {
  env?: Record<string, string>;
  /** Run as this uid/gid (65534 = nobody) through setpriv. */
  asUser?: number;
  /** Run in a private mount namespace after this shell snippet (e.g. a tmpfs over /etc/systemd/system). */
  privateMounts?: string;
  /** With privateMounts: a shell snippet run after the CLI, inside the same namespace (its stdout is kept). */
  afterwards?: string;
  /** Run this launcher (a copy from scripts/sim/cli-copy.ts) instead of the checkout's bin/asm-erdma.js. */
  cli?: string;
}

export async function runCli(args: string[], o: RunOptions = {}): Promise<RunResult> {
  let argv = [process.execPath, o.cli ?? CLI, ...args];
  if (o.asUser !== undefined)
    argv = ['setpriv', `--reuid=${o.asUser}`, `--regid=${o.asUser}`, '--clear-groups', '--', ...argv];
  if (o.privateMounts !== undefined) {
    const after = o.afterwards ? `; rc=$?; ${o.afterwards}; exit $rc` : '';
    argv = inPrivateMounts(`${o.privateMounts} && "$@"${after}`, argv);
  }
  const [file = '', ...rest] = argv;
  const r = await execa(file, rest, { reject: false, stdin: 'ignore', env: { NO_COLOR: '1', ...o.env } });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
