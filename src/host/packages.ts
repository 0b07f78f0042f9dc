/** yum/rpm/grubby/uname/reboot: what the node runs and offers, and installing a package. */
import { ExitError } from '../exit-codes.js';
import { parseKernelRelease, type KernelRelease } from '../core/kernel-release.js';
import { findTool } from './node-facts.js';
import { NOT_FOUND_WHERE, ToolNotFound } from './host-errors.js';
import { firstLine, type CommandResult, type Runner } from './runner.js';

/**
 * yum, or dnf where only dnf exists (on Alibaba Cloud Linux 3 yum is dnf under another name). Neither: an
 * error naming both, never a guess at which one is missing.
 */
export function packageTool(path = process.env.PATH ?? ''): 'yum' | 'dnf' {
  if (findTool('yum', path)) return 'yum';
  if (findTool('dnf', path)) return 'dnf';
  throw new ToolNotFound(
    ['yum', 'dnf'],
    `neither yum nor dnf was found ${NOT_FOUND_WHERE}`,
    'install dnf; on Alibaba Cloud Linux 3 yum is dnf',
  );
}

export async function runningKernel(runner: Runner): Promise<KernelRelease> {
  const r = await runner.must(
    { file: 'uname', args: ['-r'] },
    (res) => new ExitError('missingTool', `uname -r failed: ${firstLine(res)}`, 'run uname -r by hand'),
  );
  const k = parseKernelRelease(r.stdout);
  if (!k)
    throw new ExitError(
      'missingTool',
      `uname -r printed '${r.stdout.trim().slice(0, 60)}', which is not a kernel release like 5.10.134-16.3.al8.x86_64`,
    );
  return k;
}

/** `package X is not installed` is rpm's answer (stdout, non-zero) for an absent package. */
export async function isInstalled(runner: Runner, name: string): Promise<boolean> {
  const r = await runner.run({ file: 'rpm', args: ['-q', name] });
  if (r.exitCode === 0) return true;
  if (/is not installed/.test(r.stdout)) return false;
  throw new ExitError('missingTool', `rpm -q ${name} failed: ${firstLine(r)}`);
}

export async function installedKernels(runner: Runner): Promise<KernelRelease[]> {
  const r = await runner.run({ file: 'rpm', args: ['-q', 'kernel', '--qf', '%{VERSION}-%{RELEASE}.%{ARCH}\\n'] });
  if (r.exitCode !== 0) {
    if (/is not installed/.test(r.stdout)) return [];
    throw new ExitError('missingTool', `rpm -q kernel failed: ${firstLine(r)}`);
  }
  return r.stdout.split('\n').flatMap((l) => parseKernelRelease(l) ?? []);
}

/**
 * Installed kernels and whether `hotfix` is installed, from one `rpm -q` (status spawns one process, not two).
 * rpm prints a line per installed package and `package X is not installed` per absent one; it exits with the
 * number of absent ones, so only output it does not explain is a failure.
 */
export async function kernelsAndHotfix(
  runner: Runner,
  hotfix: string,
): Promise<{ kernels: KernelRelease[]; hotfix: boolean }> {
  const args = ['-q', '--qf', '%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n', 'kernel', hotfix];
  const r = await runner.run({ file: 'rpm', args });
  const lines = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const absent = lines.filter((l) => /^package \S+ is not installed$/.test(l)).length;
  if (r.exitCode !== absent || (r.exitCode !== 0 && absent === 0)) {
    throw new ExitError('missingTool', `rpm -q kernel ${hotfix} failed: ${firstLine(r)}`);
  }
  // The hotfix is named by NVR, so it is known installed by the absence of its "not installed" line.
  const kernels = lines.filter((l) => l.startsWith('kernel ')).flatMap((l) => parseKernelRelease(l.slice(7)) ?? []);
  return { kernels, hotfix: !lines.includes(`package ${hotfix} is not installed`) };
}

/** A machine-readable query, one NEVRA a line; dnf's order is by string, so callers sort with rpmvercmp. */
export async function repoPackages(runner: Runner, name: string): Promise<string[]> {
  const tool = packageTool();
  const args = ['-q', 'repoquery', '--showduplicates', '--qf', '%{name}-%{evr}.%{arch}', name];
  const r = await runner.run({ file: tool, args, timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw yumFailure(tool, ['repoquery', name], r);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${name}-`));
}

export async function availableKernels(runner: Runner): Promise<KernelRelease[]> {
  // kernel-<epoch:>version-release.arch; the epoch is not part of `uname -r`.
  return (await repoPackages(runner, 'kernel')).flatMap(
    (nevra) => parseKernelRelease(nevra.slice('kernel-'.length).replace(/^\d+:/, '')) ?? [],
  );
}

export async function defaultBootKernel(runner: Runner): Promise<KernelRelease | undefined> {
  const r = await runner.run({ file: 'grubby', args: ['--default-kernel'] });
  if (r.exitCode !== 0) return undefined;
  return parseKernelRelease(r.stdout.trim().replace(/^.*\/vmlinuz-/, ''));
}

function yumFailure(tool: string, args: string[], r: CommandResult): ExitError {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const text =
    lines.filter((l) => /error|no match|unable|failed|cannot/i.test(l)).join(' / ') ||
    lines.slice(-2).join(' / ') ||
    `exit code ${r.exitCode}`;
  const cmd = `${tool} ${args.join(' ')}`;
  if (/no match for argument|unable to find a match/i.test(text)) {
    return new ExitError('packageNotFound', `${cmd}: ${text}`, `check the enabled repositories (${tool} repolist)`);
  }
  return new ExitError('packageFailed', `${cmd} failed: ${text}`, `run ${cmd} by hand to see its whole output`);
}

/** Installs (`yum install -y SPEC`); yum's output streams to stderr with --verbose, its error text is surfaced. */
export async function install(runner: Runner, tool: string, args: string[], stream: boolean): Promise<void> {
  const r = await runner.run({ file: tool, args, stream, timeoutMs: 1_800_000 });
  if (r.exitCode !== 0) throw yumFailure(tool, args, r);
}

export async function reboot(runner: Runner): Promise<void> {
  await runner.must({ file: 'reboot', args: [] }, (r) => new ExitError('apply', `reboot failed: ${firstLine(r)}`));
}
