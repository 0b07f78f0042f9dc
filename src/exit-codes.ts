/**
 * Every exit code the CLI can return. The README's table is written by hand and compared with these meanings
 * by a test (test/core/exit-codes.test.ts); scripts and systemd rely on these numbers, so never renumber one.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  needsRoot: 3,
  noDevice: 4,
  metadata: 5,
  apply: 6,
  locked: 7,
  missingTool: 8,
  toolTimeout: 9,
  kernelTooOld: 10,
  packageFailed: 11,
  packageNotFound: 12,
  confirmationNeeded: 13,
  notReady: 14,
  rebootPending: 15,
  fellBack: 16,
} as const;

export type ExitCodeName = keyof typeof ExitCode;
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName];

/** Each code's meaning: `--help` prints these, and the README's table must say the same (a test checks it). */
export const exitCodeMeaning: Record<ExitCodeName, string> = {
  ok: 'success (or nothing to do)',
  internal: 'unexpected internal error (a bug: please report it; -v prints the stack)',
  usage: 'bad flags or arguments, or a bad line in /etc/sysconfig/asm-erdma',
  needsRoot: 'needs root (CAP_NET_ADMIN / package installation); nothing was changed',
  noDevice:
    'no eRDMA NIC found, no RDMA netlink, no primary NIC, or a requested --interface is not an eRDMA NIC ' +
    '(with --wait: did not get one within the deadline)',
  metadata:
    'the metadata server was unreachable or gave an invalid answer; nothing was changed (setup --wait: a NIC it ' +
    'still did not know at the deadline, HTTP 404, fails alone and the others are configured)',
  apply:
    'a change to a NIC, unit or file failed (that NIC was rolled back / the install put back), ' +
    "or a file it must read before changing it is unusable: setup's record under the run directory, or a unit " +
    'file or udev rule that is unreadable, not a regular file, or behind a link leading out of --root ' +
    '(nothing was changed)',
  locked: 'another asm-erdma run held the lock for the whole --timeout (or for most of it, and the rest ran out)',
  missingTool:
    'a required system tool (ip, rdma, yum, rpm, systemctl, uname, smcss) is missing or unusable ' +
    '(fails, or prints garbage); diag: smcss or the smc module is missing',
  toolTimeout:
    'a system tool (named in the message) did not finish within the deadline; it was killed (its whole process group)',
  kernelTooOld: 'kernel check: the running kernel is below the minimum',
  packageFailed: 'yum/dnf failed (its own error text is shown)',
  packageNotFound: 'the kernel or hotfix package is not in any enabled repository',
  confirmationNeeded: 'confirmation was declined, or is needed and no TTY is attached (use --yes)',
  notReady: 'status: at least one readiness check failed',
  rebootPending: 'kernel check: too old, but a newer kernel is installed: reboot',
  fellBack: 'diag: at least one SMC connection fell back to TCP',
};

/** The one error type that becomes an exit code at the CLI's error boundary. */
export class ExitError extends Error {
  readonly code: ExitCodeValue;
  readonly hint: string | undefined;
  /** The command already told the user (a report that ends in a non-zero code, like `kernel check`). */
  readonly reported: boolean;
  constructor(code: ExitCodeName, message: string, hint?: string, reported = false) {
    super(message);
    this.name = 'ExitError';
    this.code = ExitCode[code];
    this.hint = hint;
    this.reported = reported;
  }
}
