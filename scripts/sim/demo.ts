/** `npm run demo`: setup and reset on a simulated node, showing the real kernel state before and after. */
import { SimNode, simUnavailableReason } from './sim-node.js';

const why = await simUnavailableReason();
if (why) {
  process.stderr.write(`demo: ${why}\n`);
  process.exit(1);
}
const node = await SimNode.create({ nics: 2, tokenMode: 'enforced', latencyMs: 20 });
const show = async (title: string): Promise<void> => {
  const addr = await node.exec('ip', ['-br', '-4', 'addr', 'show']);
  const route = await node.exec('ip', ['-4', 'route', 'show']);
  process.stdout.write(`\n--- ${title}\n$ ip -br -4 addr show\n${addr.stdout}\n$ ip -4 route show\n${route.stdout}\n`);
};
const run = async (args: string[]): Promise<void> => {
  const r = await node.cli(args);
  process.stdout.write(
    `\n$ asm-erdma ${args.join(' ')}    # exit ${r.exitCode}\n${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`,
  );
};
try {
  const nics = node.nics.map((n) => n.name).join(', ');
  process.stdout.write(
    `simulated node: namespace ${node.ns}, primary ${node.primary}, eRDMA NICs ${nics}, ` +
      'metadata server in token-enforcing mode\n',
  );
  await show('before');
  await run(['setup', '--dry-run']);
  await run(['setup']);
  await show('after setup');
  await run(['setup']);
  await run(['reset']);
  await show('after reset');
} finally {
  await node.destroy();
}
