/**
 * `npm run sim -- [--nics N] [--token none|optional|enforced] [--latency MS] [--primary NAME] [--minutes M]`
 * Builds a simulated node and keeps it until Ctrl-C (or M minutes, 10 by default), printing how to run the CLI
 * inside it. Everything stays inside the namespace.
 */
import { parseArgs } from 'node:util';
import { CLI, SimNode, simUnavailableReason } from './sim-node.js';

const { values } = parseArgs({
  options: {
    nics: { type: 'string', default: '2' },
    token: { type: 'string', default: 'optional' },
    latency: { type: 'string', default: '0' },
    primary: { type: 'string', default: 'eth0' },
    minutes: { type: 'string', default: '10' },
  },
});
const tokenMode = values.token as 'none' | 'optional' | 'enforced';
if (!['none', 'optional', 'enforced'].includes(tokenMode)) {
  process.stderr.write('sim: --token must be none, optional or enforced\n');
  process.exit(2);
}
const why = await simUnavailableReason();
if (why) {
  process.stderr.write(`sim: ${why}\n`);
  process.exit(1);
}
const node = await SimNode.create({
  nics: Number(values.nics),
  tokenMode,
  latencyMs: Number(values.latency),
  primaryName: values.primary,
});
const env = Object.entries(node.cliEnv())
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
process.stdout.write(`simulated node ready: namespace ${node.ns}
  run the CLI inside it:   ip netns exec ${node.ns} env ${env} ${process.execPath} ${CLI} setup
  look at it:              ip -n ${node.ns} -br addr; ip -n ${node.ns} route
  metadata requests log:   ${node.config.log}
Ctrl-C removes it (it also goes by itself after ${values.minutes} minutes).
`);
const stop = async (): Promise<void> => {
  await node.destroy();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
setTimeout(() => void stop(), Number(values.minutes) * 60_000);
