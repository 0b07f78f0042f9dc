/** Fleet tests: a simulated fleet (scripts/sim/fleet.ts) per test body, always destroyed afterwards. */
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { Fleet, type FleetNode, type FleetOptions } from '../../scripts/sim/fleet.js';
import { SimNode } from '../../scripts/sim/sim-node.js';
import { kernelState, prerequisite, requireSim } from './sim.js';

export { nodeBinary } from '../../scripts/sim/fleet.js';

async function missingFleetTools(): Promise<string | undefined> {
  const tools = [
    ['ansible-playbook', 'ansible-core'],
    ['/usr/sbin/sshd', 'openssh-server'],
    ['ssh', 'openssh-client'],
    ['nsenter', 'util-linux'],
    ['rpmbuild', 'rpm'],
    ['dnf', 'dnf'],
    ['createrepo_c', 'createrepo-c'],
  ];
  for (const [tool, pkg] of tools) {
    const found = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
    if (found.exitCode !== 0) return `${tool} is not installed (scripts/dev-setup.sh installs ${pkg})`;
  }
  return undefined;
}

export async function withFleet(t: TestContext, o: FleetOptions, body: (fleet: Fleet) => Promise<void>): Promise<void> {
  if (!(await requireSim(t)) || !prerequisite(t, await missingFleetTools())) return;
  const fleet = await Fleet.create(o);
  try {
    await body(fleet);
  } finally {
    await fleet.destroy();
  }
}

type State = Awaited<ReturnType<typeof kernelState>>;

/** A node's kernel state without the fleet's management link and its route (a single node has neither). */
export async function nodeState(node: FleetNode): Promise<State> {
  const s = await kernelState(node.sim);
  const links = Object.fromEntries(Object.entries(s.links).filter(([name]) => name !== 'mgmt'));
  const routes = s.routes.filter((r) => (r as { dev?: string }).dev !== 'mgmt');
  return { links, routes };
}

/** What a plain single-node `asm-erdma setup` leaves in a fresh simulated node with this many eRDMA NICs. */
export async function singleNodeSetupState(nics: number): Promise<State> {
  const node = await SimNode.create({ nics });
  try {
    const r = await node.cli(['setup']);
    if (r.exitCode !== 0) throw new Error(`single-node setup failed: ${r.stderr}`);
    return await kernelState(node);
  } finally {
    await node.destroy();
  }
}
