/** `smcss -a -W` (smc-tools): every SMC socket, addresses not truncated. */
import { ExitError } from '../exit-codes.js';
import { ToolOutputError } from '../core/iproute-json.js';
import { parseSmcss, type SmcSocket } from '../core/smcss.js';
import { firstLine, type Runner } from './runner.js';

/** smcss reads one netlink dump: seconds at most, even with many sockets; a hung one is killed after this. */
const SMCSS_TIMEOUT_MS = 20_000;

export async function listSmcSockets(runner: Runner, smcss: string): Promise<SmcSocket[]> {
  const args = ['-a', '-W'];
  const r = await runner.must(
    { file: smcss, args, timeoutMs: SMCSS_TIMEOUT_MS },
    (res) =>
      new ExitError(
        'missingTool',
        `'smcss ${args.join(' ')}' failed: ${firstLine(res)}`,
        'modprobe smc_diag, then run it again as root',
      ),
  );
  try {
    return parseSmcss(r.stdout);
  } catch (e) {
    if (e instanceof ToolOutputError) {
      throw new ExitError('missingTool', e.message, 'check that smc-tools works: smcss -a');
    }
    throw e;
  }
}
