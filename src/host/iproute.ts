/** Observing and changing links through `ip -j` (iproute2). */
import { readFileSync } from 'node:fs';
import { ExitError } from '../exit-codes.js';
import { parseAddrJson, parseRouteJson, ToolOutputError, type LinkInfo, type RouteInfo } from '../core/iproute-json.js';
import { actionArgv, type Action } from '../core/nic-plan.js';
import { firstLine, type Runner } from './runner.js';

export interface Observation {
  links: LinkInfo[];
  routes: RouteInfo[];
}

async function readJson<T>(runner: Runner, args: string[], parse: (text: string) => T): Promise<T> {
  const r = await runner.must({ file: 'ip', args, mutates: false }, (res) =>
    new ExitError('missingTool', `'ip ${args.join(' ')}' failed: ${firstLine(res)}`, 'check that iproute2 works on this node'),
  );
  try {
    return parse(r.stdout);
  } catch (e) {
    if (e instanceof ToolOutputError) throw new ExitError('missingTool', e.message, 'iproute2 4.x or newer is needed for -j');
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

export class ActionFailed extends Error {
  constructor(
    readonly action: Action,
    readonly detail: string,
  ) {
    super(`'ip ${actionArgv(action).join(' ')}' failed: ${detail}`);
  }
}

export async function applyAction(runner: Runner, action: Action): Promise<void> {
  const r = await runner.run({ file: 'ip', args: actionArgv(action), mutates: true });
  if (r.exitCode !== 0) throw new ActionFailed(action, firstLine(r));
}

/**
 * Runs many actions in one `ip -force -batch -` process (one spawn instead of two per NIC; -force keeps going
 * after an error). Returns the failed actions by index with iproute2's own message for each.
 */
export async function applyBatch(runner: Runner, actions: Action[]): Promise<Map<number, string>> {
  const input = `${actions.map((a) => actionArgv(a).join(' ')).join('\n')}\n`;
  const r = await runner.run({ file: 'ip', args: ['-force', '-batch', '-'], mutates: true, input });
  const failed = new Map<number, string>();
  if (r.exitCode === 0) return failed;
  // iproute2 prints the error, then "Command failed -:N" (N counts input lines from 1).
  let message: string[] = [];
  for (const line of r.stderr.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^Command failed -:(\d+)$/.exec(line);
    if (!m) {
      message.push(line);
      continue;
    }
    failed.set(Number(m[1]) - 1, message.join(' / ') || 'failed');
    message = [];
  }
  if (failed.size === 0) {
    throw new ExitError('apply', `'ip -force -batch -' failed without naming a command: ${firstLine(r)}`, 'check the NICs with ip addr, then run again');
  }
  return failed;
}
