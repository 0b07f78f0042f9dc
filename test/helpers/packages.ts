/** A scratch package node: real dnf/rpm on an install root, stand-in uname/grubby/reboot first on PATH. */
import type { TestContext } from 'node:test';
import { mkdirSync, readFileSync, rmSync, existsSync, symlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, REPO_ROOT, type RunResult } from '../../scripts/sim/sim-node.js';
import { kernelRelease, packageNode } from '../../scripts/fixtures/package-repo.js';
import { runCli } from './cli.js';
import { prerequisite } from './sim.js';

export const STANDINS = join(REPO_ROOT, 'scripts/standins/packages');

async function missingPackageTools(): Promise<string | undefined> {
  for (const tool of ['dnf', 'rpm', 'rpmbuild', 'createrepo_c']) {
    if ((await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).exitCode !== 0)
      return `${tool} is not installed (scripts/dev-setup.sh installs it)`;
  }
  return undefined;
}

export interface PathOptions {
  /** A PATH of only the stand-ins (and /usr/local/bin), without these tools. */
  withoutTools?: string[];
  /** Extra names for stand-ins on that PATH, e.g. { dnf: 'yum' }: a node whose package tool is only dnf. */
  aliases?: Record<string, string>;
}

export interface PackageNode {
  root: string;
  run(args: string[], o?: { env?: Record<string, string>; asUser?: number } & PathOptions): Promise<RunResult>;
  /** Runs the CLI on a pseudo-terminal (util-linux script), typing `input` at it. */
  runOnTty(args: string[], input: string, o?: PathOptions): Promise<RunResult>;
  installedKernels(): Promise<string[]>;
  rpmQuery(name: string): Promise<boolean>;
  reboots(): string[];
}

export async function withPackageNode(
  t: TestContext,
  o: { running: string; installed?: string[]; withoutHotfix?: boolean },
  body: (node: PackageNode) => Promise<void>,
): Promise<void> {
  if (!prerequisite(t, await missingPackageTools())) return;
  if (
    !prerequisite(
      t,
      (o.installed ?? []).length > 0 && process.getuid?.() !== 0
        ? 'installing the starting kernels with dnf needs root'
        : undefined,
    )
  )
    return;
  const root = packageNode({ installed: o.installed ?? [], ...(o.withoutHotfix ? { withoutHotfix: true } : {}) });
  const rebootLog = join(root, 'reboot.log');
  let bins = 0;
  const pathFor = (ro: PathOptions): string => {
    if (!ro.withoutTools && !ro.aliases) return `${STANDINS}:${process.env.PATH}`;
    // A PATH without some tools: links to the stand-ins we keep, and none of the system's dirs.
    const bin = join(root, `partial-bin-${bins++}`);
    mkdirSync(bin, { recursive: true });
    for (const f of readdirSync(STANDINS))
      if (!(ro.withoutTools ?? []).includes(f)) symlinkSync(join(STANDINS, f), join(bin, f));
    for (const [name, target] of Object.entries(ro.aliases ?? {})) symlinkSync(join(STANDINS, target), join(bin, name));
    return `${bin}:/usr/local/bin`;
  };
  const node: PackageNode = {
    root,
    async run(args, ro = {}) {
      return runCli(args, {
        env: {
          PATH: pathFor(ro),
          SIM_PKG_ROOT: root,
          SIM_UNAME_R: kernelReleaseOf(o.running),
          SIM_REBOOT_LOG: rebootLog,
          ...ro.env,
        },
        ...(ro.asUser !== undefined ? { asUser: ro.asUser } : {}),
      });
    },
    async runOnTty(args, input, ro = {}) {
      const env = {
        PATH: pathFor(ro),
        SIM_PKG_ROOT: root,
        SIM_UNAME_R: kernelReleaseOf(o.running),
        SIM_REBOOT_LOG: rebootLog,
        NO_COLOR: '1',
      };
      const vars = Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const r = await execa(
        'timeout',
        [
          '60',
          'script',
          '-qec',
          `stty cols 100 rows 30; env -u CI ${vars} ${process.execPath} ${CLI} ${args.join(' ')}`,
          '/dev/null',
        ],
        { input, reject: false },
      );
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    async installedKernels() {
      const r = await execa('rpm', ['--root', root, '-q', 'kernel', '--qf', '%{RELEASE}\\n'], { reject: false });
      return String(r.stdout)
        .split('\n')
        .filter((l) => l.endsWith('.al8'))
        .map((l) => l.replace(/\.al8$/, ''))
        .sort();
    },
    async rpmQuery(name) {
      return (await execa('rpm', ['--root', root, '-q', name], { reject: false })).exitCode === 0;
    },
    reboots() {
      return existsSync(rebootLog) ? readFileSync(rebootLog, 'utf8').trim().split('\n') : [];
    },
  };
  try {
    await body(node);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** '16.3' → 5.10.134-16.3.al8.x86_64; a full release passes through. */
export function kernelReleaseOf(r: string): string {
  return r.includes('-') ? r : kernelRelease(r);
}

/** dnf confined to a scratch root: its own config, repositories and cache (the root's etc/dnf and yum.repos.d). */
export function dnfInRootArgs(root: string): string[] {
  return [
    '-y',
    '-q',
    '-c',
    `${root}/etc/dnf/dnf.conf`,
    `--installroot=${root}`,
    '--releasever=3',
    `--setopt=reposdir=${root}/etc/yum.repos.d`,
    `--setopt=cachedir=${root}/var/cache/dnf`,
    '--disableplugin=*',
  ];
}
