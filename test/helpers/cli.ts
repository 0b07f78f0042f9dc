/** Runs the built CLI as a user would (outside any namespace): for commands that touch no NIC. */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { copyCli } from '../../scripts/sim/cli-copy.js';
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

/** Where imageWithCli puts this build's CLI inside an image root: a lasting path, whatever the root's own path. */
export const CLI_IN_IMAGE = '/usr/lib/asm-erdma/bin/asm-erdma.js';

/**
 * Makes `root` an image for install-service's default ExecStart (how the CLI names itself): this node's Node at
 * its path (an empty file: ExecStart names it, nothing runs it in the image) and a copy of this build's CLI at
 * CLI_IN_IMAGE. Returns the copy's launcher: run it (runCli's `cli`) and the unit names it by its path inside the
 * image, wherever the checkout is (install-service refuses a checkout under /tmp or in a home directory).
 */
export function imageWithCli(root: string): string {
  const node = realpathSync(process.execPath);
  mkdirSync(join(root, dirname(node)), { recursive: true });
  writeFileSync(join(root, node), '', { mode: 0o755 });
  return copyCli(join(root, dirname(dirname(CLI_IN_IMAGE))));
}
