/** kernel check | list | upgrade and hotfix: facts from uname/rpm/yum/grubby, decisions from core/kernel-policy. */
import { ExitError } from '../exit-codes.js';
import { formatKernel, parseKernelRequest, type KernelRelease } from '../core/kernel-release.js';
import {
  checkKernel,
  chooseUpgrade,
  HOTFIX,
  kernelRows,
  upgradeCommand,
  type KernelCheck,
  type KernelRow,
} from '../core/kernel-policy.js';
import { checkKernelRelease } from '../core/option-values.js';
import type { Effect } from '../core/effects.js';
import type { Host } from '../host/host.js';
import type { Logger } from '../ui/logger.js';
import { gather } from './gather.js';

export function parseMinimum(text: string, flag: string): KernelRelease {
  const c = checkKernelRelease(text);
  if (!c.ok)
    throw new ExitError(
      'usage',
      `${flag} '${text}' is not a kernel release like 5.10.134-16.3`,
      `e.g. ${flag} 5.10.134-17.3; asm-erdma kernel list shows them`,
    );
  return c.value;
}

/** --to as users type it: 5.10.134-16.3, …-16.3.al8, …-16.3.al8.x86_64 or kernel-5.10.134-16.3.al8.x86_64. */
export function parseTarget(text: string): KernelRelease {
  const k = parseKernelRequest(text);
  if (!k)
    throw new ExitError(
      'usage',
      `--to '${text}' is not a kernel release like 5.10.134-17.3`,
      'e.g. --to 5.10.134-17.3; asm-erdma kernel list shows them',
    );
  return k;
}

export async function runKernelCheck(host: Host, min: KernelRelease): Promise<KernelCheck> {
  const [running, installed] = await gather([host.runningKernel(), host.installedKernels()]);
  // Asked only on 16.3: an installed hotfix means it is no longer needed (what `status` says too).
  const onHotfixKernel = checkKernel(running, installed, min).hotfixNeeded;
  const hotfixInstalled = onHotfixKernel && (await host.isInstalled(HOTFIX.packageName));
  return checkKernel(running, installed, min, hotfixInstalled);
}

export interface KernelList {
  minimum: string;
  kernels: KernelRow[];
}

export async function runKernelList(host: Host, min: KernelRelease, log: Logger): Promise<KernelList> {
  const [running, installed, available, defaultBoot] = await gather([
    host.runningKernel(),
    host.installedKernels(),
    log.spin('querying the repositories for kernel…', () => host.availableKernels()),
    host.defaultBootKernel(),
  ]);
  return { minimum: formatKernel(min), kernels: kernelRows(available, installed, running, defaultBoot, min) };
}

export interface UpgradeReport {
  command: 'kernel upgrade';
  running: string;
  minimum: string;
  target: string | null;
  installed: boolean;
  defaultBoot: string | null;
  defaultBootIsTarget: boolean;
  rebootNeeded: boolean;
  rebooting: boolean;
  commands: string[];
  message: string;
}

export interface UpgradeOptions {
  min: KernelRelease;
  to: KernelRelease | undefined;
  yes: boolean;
  reboot: boolean;
}

/** Installs (after asking) with a spinner; `applied` is false under dry-run. */
async function installPackage(host: Host, spec: string, question: string, yes: boolean, log: Logger) {
  const effect: Effect = { kind: 'install-package', tool: host.packageTool(), spec };
  await host.changes.confirm(question, yes);
  return log.spin(`installing ${spec}…`, () => host.changes.apply([effect]));
}

export async function runKernelUpgrade(host: Host, o: UpgradeOptions, log: Logger): Promise<UpgradeReport> {
  host.changes.requirePrivilege('root', 'kernel upgrade');
  const [running, installed, available] = await gather([
    host.runningKernel(),
    host.installedKernels(),
    log.spin('querying the repositories for kernel…', () => host.availableKernels()),
  ]);
  const base = { command: 'kernel upgrade' as const, running: formatKernel(running), minimum: formatKernel(o.min) };
  const choice = chooseUpgrade(running, available, installed, o.min, o.to);
  if (choice.kind === 'refuse') throw new ExitError(choice.code, choice.reason, choice.hint);
  if (choice.kind === 'nothing-to-do') {
    const none = { target: null, installed: false, defaultBoot: null, defaultBootIsTarget: false, rebootNeeded: false };
    return { ...base, ...none, rebooting: false, commands: [], message: `nothing to do: ${choice.reason}` };
  }
  const target = formatKernel(choice.target);
  const spec = `kernel-${target}`;
  const step = choice.alreadyInstalled
    ? { changes: [], applied: host.changes.applies }
    : await installPackage(host, spec, `install ${spec}?`, o.yes, log);
  const commands = [...step.changes];
  // Only a run that changes the node can have moved the default boot entry; otherwise there is nothing new to see.
  const defaultBoot = step.applied ? await host.defaultBootKernel() : undefined;
  const defaultBootIsTarget = defaultBoot !== undefined && formatKernel(defaultBoot) === target;
  const rebootNeeded = formatKernel(running) !== target;
  let message = choice.alreadyInstalled
    ? `${spec} is already installed`
    : `${step.applied ? 'installed' : 'would install'} ${spec}`;
  const grubby = `grubby --set-default /boot/vmlinuz-${target}`;
  if (step.applied && !defaultBootIsTarget) {
    log.warn(
      `the default boot entry is ${defaultBoot ? formatKernel(defaultBoot) : 'unknown'}, not ${target}: run ${grubby}`,
    );
  }
  if (rebootNeeded) message += o.reboot ? '; rebooting now' : '; reboot to run it (or pass --reboot)';
  let rebooting = false;
  if (rebootNeeded && o.reboot) {
    if (step.applied && !defaultBootIsTarget) {
      throw new ExitError('apply', `not rebooting: the default boot entry is not ${target}`, `${grubby}, then reboot`);
    }
    const restart = await host.changes.apply([{ kind: 'reboot' }]);
    commands.push(...restart.changes);
    rebooting = restart.applied;
  }
  return {
    ...base,
    target,
    installed: !choice.alreadyInstalled && step.applied,
    defaultBoot: defaultBoot ? formatKernel(defaultBoot) : null,
    defaultBootIsTarget,
    rebootNeeded,
    rebooting,
    commands,
    message,
  };
}

export interface HotfixReport {
  command: 'hotfix';
  running: string;
  minimum: string;
  /** The running kernel is below the minimum: the hotfix is not what this node needs, a newer kernel is. */
  tooOld: boolean;
  package: string;
  needed: boolean;
  alreadyInstalled: boolean;
  installed: boolean;
  newerInstalled: string | null;
  commands: string[];
  message: string;
}

export async function runHotfix(
  host: Host,
  o: { yes: boolean; min: KernelRelease },
  log: Logger,
): Promise<HotfixReport> {
  const [running, kernels] = await gather([host.runningKernel(), host.installedKernels()]);
  const check = checkKernel(running, kernels, HOTFIX.forKernel);
  const vsMin = checkKernel(running, kernels, o.min);
  const base = {
    command: 'hotfix' as const,
    running: check.running,
    minimum: vsMin.minimum,
    tooOld: !vsMin.meets,
    package: HOTFIX.packageName,
    newerInstalled: check.newerInstalled,
  };
  // Below the minimum the kernel itself is the problem; say so (and how to fix it) rather than just "not needed".
  const upgrade = vsMin.rebootPending
    ? `${vsMin.newerInstalled} is installed: reboot into it`
    : `upgrade it: ${upgradeCommand(o.min)}`;
  const tooOld =
    `the running kernel ${check.running} is too old for SMC over eRDMA ` +
    `(below the minimum ${vsMin.minimum}): ${upgrade}`;
  if (!check.hotfixNeeded) {
    const message = vsMin.meets
      ? `not needed: the running kernel ${check.running} is not 5.10.134-16.3`
      : `not needed: ${tooOld}`;
    return { ...base, needed: false, alreadyInstalled: false, installed: false, commands: [], message };
  }
  const after = [
    ...(check.newerInstalled
      ? [`${check.newerInstalled} is installed too: rebooting into it makes the hotfix unnecessary`]
      : []),
    ...(vsMin.meets ? [] : [tooOld]),
  ]
    .map((t) => `; ${t}`)
    .join('');
  if (await host.isInstalled(HOTFIX.packageName)) {
    return {
      ...base,
      needed: true,
      alreadyInstalled: true,
      installed: false,
      commands: [],
      message: `nothing to do: ${HOTFIX.packageName} is already installed${after}`,
    };
  }
  host.changes.requirePrivilege('root', 'hotfix');
  const offered = await log.spin(`looking for ${HOTFIX.packageName}…`, () => host.repoPackages(HOTFIX.packageName));
  if (offered.length === 0) {
    throw new ExitError(
      'packageNotFound',
      `${HOTFIX.packageName} is not in any enabled repository`,
      'enable the Alibaba Cloud Linux hotfix repository (yum repolist)',
    );
  }
  const step = await installPackage(
    host,
    HOTFIX.packageName,
    `install ${HOTFIX.packageName} for ${check.running}?`,
    o.yes,
    log,
  );
  const message = `${step.applied ? 'installed' : 'would install'} ${HOTFIX.packageName}${after}`;
  return { ...base, needed: true, alreadyInstalled: false, installed: step.applied, commands: step.changes, message };
}
