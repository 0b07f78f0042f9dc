/** Discovering eRDMA ports with `rdma link show`: JSON first, the text form when -j is not understood. */
import { ExitError } from '../exit-codes.js';
import { parseRdmaLinkJson, parseRdmaLinkText, type RdmaPort } from '../core/rdma-links.js';
import { ToolOutputError } from '../core/iproute-json.js';
import { RdmaUnavailable } from './host-errors.js';
import { firstLine, type Runner } from './runner.js';

const UNUSABLE_HINT = 'check the rdma tool by hand (rdma link show); reinstall iproute if it is broken';

export async function listRdmaPorts(runner: Runner): Promise<RdmaPort[]> {
  const json = await runner.run({ file: 'rdma', args: ['-j', 'link', 'show'] });
  if (json.exitCode === 0) {
    try {
      return parseRdmaLinkJson(json.stdout);
    } catch (e) {
      if (!(e instanceof ToolOutputError)) throw e;
      // Very old rdma builds ignore -j and print text: fall through to the text form.
    }
  }
  if (/NETLINK_RDMA/.test(json.stderr)) {
    throw new RdmaUnavailable(`rdma: ${firstLine(json)} (the kernel has no RDMA netlink: is the erdma driver loaded?)`);
  }
  const text = await runner.run({ file: 'rdma', args: ['link', 'show'] });
  if (/NETLINK_RDMA/.test(text.stderr)) {
    throw new RdmaUnavailable(`rdma: ${firstLine(text)} (the kernel has no RDMA netlink: is the erdma driver loaded?)`);
  }
  // A tool that fails otherwise, or prints what no rdma prints, is unusable (8): not "no eRDMA NIC" (4).
  if (text.exitCode !== 0) {
    throw new ExitError('missingTool', `rdma link show failed: ${firstLine(text)}`, UNUSABLE_HINT);
  }
  try {
    return parseRdmaLinkText(text.stdout);
  } catch (e) {
    if (!(e instanceof ToolOutputError)) throw e;
    throw new ExitError('missingTool', `rdma is unusable: ${e.message}`, UNUSABLE_HINT);
  }
}
