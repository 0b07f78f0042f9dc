/** A node's /sys and /proc facts as a scratch tree (ASM_ERDMA_SYSROOT), for status and metrics in the simulator. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Changes to the tree after it is made: `put(path)` makes a directory, `put(path, text)` a file. */
export type TreeEdit = (put: (path: string, text?: string) => void, root: string) => void;

export const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

/**
 * The /sys and /proc facts of a node (ASM_ERDMA_SYSROOT): the kernel here has no SMC and no erdma. With `smc`
 * the smc, smc_diag and erdma modules are loaded and net.smc has tcp2smc; rp_filter is 0 everywhere and
 * nothing listens. `edit` changes the tree afterwards.
 */
export function sysroot(dir: string, nics: string[], smc: boolean, edit?: TreeEdit): void {
  const put = (path: string, text?: string) => {
    const file = join(dir, path);
    if (text === undefined) return void mkdirSync(file, { recursive: true });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  put('proc/net/tcp', TCP_HEADER);
  put('proc/net/tcp6', TCP_HEADER);
  for (const dev of ['all', 'default', 'lo', 'eth0', ...nics]) put(`proc/sys/net/ipv4/conf/${dev}/rp_filter`, '0\n');
  if (smc) {
    put('sys/module/smc/parameters');
    put('sys/module/smc_diag');
    put('sys/module/erdma/parameters/compat_mode', 'N\n');
    for (const f of ['autocorking_size', 'smcr_buf_type']) put(`proc/sys/net/smc/${f}`, '65536\n');
    put('proc/sys/net/smc/tcp2smc', '0\n');
  }
  edit?.(put, dir);
}
