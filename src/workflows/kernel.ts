/** kernel check | list | upgrade and hotfix: facts from uname/rpm/yum/grubby, decisions from core/kernel-policy. */
import { ExitError } from '../exit-codes.js';
import { formatKernel, parseKernelRequest, type KernelRelease } from '../core/kernel-release.js';
import {
  checkKernel, chooseUpgrade, HOTFIX, kernelRows, upgradeCommand, type KernelCheck, type KernelRow,
} from '../core/kernel-policy.js';
import { checkKernelRelease } from '../core/option-values.js';
import {
  availableKernels, defaultBootKernel, installCommand, installedKernels, isInstalled, packageTool, reboot, repoPackages,
  runningKernel, yumInstall,
} from '../host/packages.js';
import { requireRoot } from '../host/privileges.js';
import type { Runner } from '../host/runner.js';
import type { Logger } from '../ui/logger.js';
import { confirm } from '../ui/confirm.js';
import { gather } from './gather.js';

export function parseMinimum(text: string, flag: string): KernelRelease {
  const c = checkKernelRelease(text);
  if (!c.ok) throw new ExitError('usage', `${flag} '${text}' is not a kernel release like 5.10.134-16.3`, `e.g. ${flag} 5.10.134-17.3; asm-erdma kernel list shows them`);
  return c.value;
}

/** --to as users type it: 5.10.134-16.3, …-16.3.al8, …-16.3.al8.x86_64 or kernel-5.10.134-16.3.al8.x86_64. */
export function parseTarget(text: string): KernelRelease {
  const k = parseKernelRequest(text);
  if (!k) throw new ExitError('usage', `--to '${text}' is not a kernel release like 5.10.134-17.3`, 'e.g. --to 5.10.134-17.3; asm-erdma kernel list shows them');
  return k;
}

export async function runKernelCheck(runner: Runner, min: KernelRelease): Promise<KernelCheck> {
  const [running, installed] = await gather([runningKernel(runner), installedKernels(runner)]);
  // Asked only on 16.3: an installed hotfix means it is no longer needed (what `status` says too).
  const onHotfixKernel = checkKernel(running, installed, min).hotfixNeeded;
  const hotfixInstalled = onHotfixKernel && (await isInstalled(runner, HOTFIX.packageName));
  return checkKernel(running, installed, min, hotfixInstalled);
}

export interface KernelList {
  minimum: string;
  kernels: KernelRow[];
}

export async function runKernelList(runner: Runner, min: KernelRelease, log: Logger): Promise<KernelList> {
  const [running, installed, available, defaultBoot] = await gather([
    runningKernel(runner),
    installedKernels(runner),
    log.spin('querying the repositories for kernel…', () => availableKernels(runner)),
    defaultBootKernel(runner),
  ]);
  return { minimum: formatKernel(min), kernels: kernelRows(available, installed, running, defaultBoot, min) };
}

export interface UpgradeReport {
  command: 'kernel upgrade';
  dryRun: boolean;
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

export async function runKernelUpgrade(runner: Runner, o: UpgradeOptions, log: Logger): Promise<UpgradeReport> {
  if (!runner.dryRun) requireRoot('kernel upgrade');
  const [running, installed, available] = await gather([
    runningKernel(runner),
    installedKernels(runner),
    log.spin('querying the repositories for kernel…', () => availableKernels(runner)),
  ]);
  const base = { command: 'kernel upgrade' as const, dryRun: runner.dryRun, running: formatKernel(running), minimum: formatKernel(o.min) };
  const choice = chooseUpgrade(running, available, installed, o.min, o.to);
  if (choice.kind === 'refuse') throw new ExitError(choice.code, choice.reason, choice.hint);
  if (choice.kind === 'nothing-to-do') {
    return { ...base, target: null, installed: false, defaultBoot: null, defaultBootIsTarget: false, rebootNeeded: false, rebooting: false, commands: [], message: `nothing to do: ${choice.reason}` };
  }
  const target = formatKernel(choice.target);
  const spec = `kernel-${target}`;
  const commands: string[] = [];
  if (!choice.alreadyInstalled) {
    const install = installCommand(packageTool(), spec);
    commands.push(install.join(' '));
    if (!runner.dryRun) {
      await confirm(`install ${spec}?`, o.yes);
      await log.spin(`installing ${spec}…`, () => yumInstall(runner, install, log.isVerbose));
    }
  }
  const defaultBoot = runner.dryRun ? undefined : await defaultBootKernel(runner);
  const defaultBootIsTarget = defaultBoot !== undefined && formatKernel(defaultBoot) === target;
  const isRunning = formatKernel(running) === target;
  const rebootNeeded = !isRunning;
  let message = choice.alreadyInstalled ? `${spec} is already installed` : `${runner.dryRun ? 'would install' : 'installed'} ${spec}`;
  if (!runner.dryRun && !defaultBootIsTarget) {
    log.warn(`the default boot entry is ${defaultBoot ? formatKernel(defaultBoot) : 'unknown'}, not ${target}: run grubby --set-default /boot/vmlinuz-${target}`);
  }
  if (rebootNeeded) message += o.reboot ? '; rebooting now' : '; reboot to run it (or pass --reboot)';
  let rebooting = false;
  if (rebootNeeded && o.reboot) {
    commands.push('reboot');
    if (!runner.dryRun) {
      if (!defaultBootIsTarget) throw new ExitError('apply', `not rebooting: the default boot entry is not ${target}`, `grubby --set-default /boot/vmlinuz-${target}, then reboot`);
      await reboot(runner);
      rebooting = true;
    }
  }
  return { ...base, target, installed: !choice.alreadyInstalled && !runner.dryRun, defaultBoot: defaultBoot ? formatKernel(defaultBoot) : null, defaultBootIsTarget, rebootNeeded, rebooting, commands, message };
}

export interface HotfixReport {
  command: 'hotfix';
  dryRun: boolean;
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

export async function runHotfix(runner: Runner, o: { yes: boolean; min: KernelRelease }, log: Logger): Promise<HotfixReport> {
  const [running, kernels] = await gather([runningKernel(runner), installedKernels(runner)]);
  const check = checkKernel(running, kernels, HOTFIX.forKernel);
  const vsMin = checkKernel(running, kernels, o.min);
  const base = {
    command: 'hotfix' as const, dryRun: runner.dryRun, running: check.running, minimum: vsMin.minimum, tooOld: !vsMin.meets,
    package: HOTFIX.packageName, newerInstalled: check.newerInstalled,
  };
  // Below the minimum the kernel itself is the problem; say so (and how to fix it) rather than just "not needed".
  const upgrade = vsMin.rebootPending ? `${vsMin.newerInstalled} is installed: reboot into it` : `upgrade it: ${upgradeCommand(o.min)}`;
  const tooOld = `the running kernel ${check.running} is too old for SMC over eRDMA (below the minimum ${vsMin.minimum}): ${upgrade}`;
  if (!check.hotfixNeeded) {
    const message = vsMin.meets ? `not needed: the running kernel ${check.running} is not 5.10.134-16.3` : `not needed: ${tooOld}`;
    return { ...base, needed: false, alreadyInstalled: false, installed: false, commands: [], message };
  }
  const after = [
    ...(check.newerInstalled ? [`${check.newerInstalled} is installed too: rebooting into it makes the hotfix unnecessary`] : []),
    ...(vsMin.meets ? [] : [tooOld]),
  ].map((t) => `; ${t}`).join('');
  if (await isInstalled(runner, HOTFIX.packageName)) {
    return { ...base, needed: true, alreadyInstalled: true, installed: false, commands: [], message: `nothing to do: ${HOTFIX.packageName} is already installed${after}` };
  }
  if (!runner.dryRun) requireRoot('hotfix');
  const offered = await log.spin(`looking for ${HOTFIX.packageName}…`, () => repoPackages(runner, HOTFIX.packageName));
  if (offered.length === 0) {
    throw new ExitError('packageNotFound', `${HOTFIX.packageName} is not in any enabled repository`, 'enable the Alibaba Cloud Linux hotfix repository (yum repolist)');
  }
  const install = installCommand(packageTool(), HOTFIX.packageName);
  if (!runner.dryRun) {
    await confirm(`install ${HOTFIX.packageName} for ${check.running}?`, o.yes);
    await log.spin(`installing ${HOTFIX.packageName}…`, () => yumInstall(runner, install, log.isVerbose));
  }
  const message = `${runner.dryRun ? 'would install' : 'installed'} ${HOTFIX.packageName}${after}`;
  return { ...base, needed: true, alreadyInstalled: false, installed: !runner.dryRun, commands: [install.join(' ')], message };
}
