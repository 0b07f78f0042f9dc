/** Observing and changing links through `ip -j` (iproute2). */
import { readFileSync } from 'node:fs';
import { ExitError } from '../exit-codes.js';
import { parseAddrJson, parseRouteJson, ToolOutputError, type LinkInfo, type RouteInfo } from '../core/iproute-json.js';
import { batchLine } from '../core/ifname.js';
import { actionArgv, describeAction, type Action } from '../core/nic-plan.js';
import { ActionFailed, type BatchResult } from './executor.js';
import { firstLine, type Runner } from './runner.js';

export interface Observation {
  links: LinkInfo[];
  routes: RouteInfo[];
}

async function readJson<T>(runner: Runner, args: string[], parse: (text: string) => T): Promise<T> {
  const r = await runner.must(
    { file: 'ip', args },
    (res) =>
      new ExitError(
        'missingTool',
        `'ip ${args.join(' ')}' failed: ${firstLine(res)}`,
        'check that iproute2 works on this node',
      ),
  );
  try {
    return parse(r.stdout);
  } catch (e) {
    if (e instanceof ToolOutputError)
      throw new ExitError('missingTool', e.message, 'iproute2 4.x or newer is needed for -j');
    throw e;
  }
}

export async function observe(runner: Runner): Promise<Observation> {
  const [links, routes] = await Promise.all([
    readJson(runner, ['-j', 'addr', 'show'], parseAddrJson),
    readJson(runner, ['-j', '-4', 'route', 'show', 'table', 'main'], parseRouteJson),
  ]);
  return { links, routes };
}

/** systemd sets promote_secondaries=1 on real nodes; a bare namespace (or a tuned node) may not. */
export function promotesSecondaries(dev: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv4/conf/${dev}/promote_secondaries`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export async function applyAction(runner: Runner, action: Action): Promise<void> {
  const r = await runner.run({ file: 'ip', args: actionArgv(action) });
  if (r.exitCode !== 0) throw new ActionFailed(action, firstLine(r));
}

/**
 * Runs many actions in one `ip -force -batch -` process (one spawn instead of two per NIC; -force keeps going
 * after a failed command). Every argument is written the way iproute2's batch parser reads it back
 * (core/ifname.ts); callers run actions that cannot be written so one by one instead.
 */
export async function applyBatch(runner: Runner, actions: Action[]): Promise<BatchResult> {
  const lines = actions.map((a) => {
    const line = batchLine(actionArgv(a));
    if (line === undefined) throw new Error(`cannot write '${describeAction(a)}' as an ip -batch line`);
    return line;
  });
  const input = `${lines.join('\n')}\n`;
  const r = await runner.run({ file: 'ip', args: ['-force', '-batch', '-'], input });
  const failed = new Map<number, string>();
  if (r.exitCode === 0) return { failed };
  // iproute2 prints the error, then "Command failed -:N" (N counts input lines from 1). Text after the last
  // such line means ip stopped there without finishing the batch.
  let message: string[] = [];
  let last = -1;
  for (const line of r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^Command failed -:(\d+)$/.exec(line);
    if (!m) {
      message.push(line);
      continue;
    }
    last = Number(m[1]) - 1;
    failed.set(last, message.join(' / ') || 'failed');
    message = [];
  }
  if (message.length > 0 || failed.size === 0) {
    return { failed, stopped: { from: last + 1, message: message.join(' / ') || firstLine(r) } };
  }
  return { failed };
}
