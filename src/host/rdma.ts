/** Discovering eRDMA ports with `rdma link show`: JSON first, the text form when -j is not understood. */
import { ExitError } from '../exit-codes.js';
import { parseRdmaLinkJson, parseRdmaLinkText, type RdmaPort } from '../core/rdma-links.js';
import { ToolOutputError } from '../core/iproute-json.js';
import { firstLine, type Runner } from './runner.js';

export class RdmaUnavailable extends Error {}

export async function listRdmaPorts(runner: Runner): Promise<RdmaPort[]> {
  const json = await runner.run({ file: 'rdma', args: ['-j', 'link', 'show'], mutates: false });
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
  const text = await runner.run({ file: 'rdma', args: ['link', 'show'], mutates: false });
  if (text.exitCode !== 0) throw new RdmaUnavailable(`rdma link show failed: ${firstLine(text)}`);
  return parseRdmaLinkText(text.stdout);
}

export function rdmaError(e: RdmaUnavailable): ExitError {
  return new ExitError('noDevice', e.message, 'modprobe erdma, or check that this instance type has an eRDMA NIC');
}
