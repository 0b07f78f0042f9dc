/**
 * A simulated fleet for the Ansible role: N simulated nodes (scripts/sim/sim-node.ts), each with
 *   - its own mount namespace: a fresh tmpfs /run, /root and /var/tmp, and overlays on /etc, /usr, /var/lib,
 *     /var/cache and /var/log (the host's files visible, every write private to the node), so units, udev rules,
 *     /run/asm-erdma, the installed binary and an RPM installed with dnf never reach this machine;
 *   - a real sshd (key auth only, generated keys) listening only on a management address 198.18.<i>.2, on a veth
 *     whose other end is in a control namespace (198.18.0.0/15 is reserved for benchmarking: test-only);
 *   - stand-ins (rdma, uname, rpm, yum, systemctl…) first on PATH through sshd's SetEnv, with per-node state.
 * ansible-playbook runs in the control namespace with every ANSIBLE_* path in the fleet's temp dir.
 * destroy() kills every process left in the fleet's namespaces (sshd, its sessions, ssh masters) and removes them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { CLI, inPrivateMounts, REPO_ROOT, SimNode, STANDIN_BIN, type RunResult } from './sim-node.js';
import { packageNode, packageRepo } from '../fixtures/package-repo.js';
import { CLI_FILES, copyCli } from './cli-copy.js';
import { release } from '../fixtures/release-repo.js';

export const PLAYBOOK = join(REPO_ROOT, 'deploy/ansible/site.yml');
/** The simulator has no smc module (smc-module fails there); everything else it satisfies. */
export const SIM_GATE_IGNORE = ['smc-module'];
/** A kernel that meets 5.10.134-16.3 and needs no hotfix. */
export const SIM_KERNEL = '5.10.134-17.3.al8.x86_64';
/** ansible.builtin.reboot options that reboot a simulated node (scripts/sim/fleet-reboot). */
export const SIM_REBOOT_OPTIONS = {
  reboot_command: `${join(REPO_ROOT, 'scripts/sim/fleet-reboot')} now`,
  boot_time_command: 'cat /run/sim-boot-id 2>/dev/null || echo first-boot',
};

const STANDIN_PATH = [
  STANDIN_BIN,
  join(REPO_ROOT, 'scripts/standins/packages'),
  join(REPO_ROOT, 'scripts/standins/systemd'),
  '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
].join(':');

/**
 * The asm-erdma executable the role installs on the nodes in binary mode: the real standalone binary
 * (`scripts/package/release.js`, built once per build of dist/ and shared with the package tests), as an operator
 * would copy it.
 */
export function standaloneBinary(): string {
  return join(release(), 'asm-erdma-linux-x64');
}

/**
 * A wrapper around the built CLI, for what must be cheap to build (the noarch fixture RPM of rpm mode): the nodes
 * share this machine's filesystem and Node.
 */
export function nodeBinary(dir: string): string {
  const path = join(dir, 'asm-erdma');
  writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Where the fixture RPM puts this build's CLI: a lasting place, as the real RPM's /usr/bin/asm-erdma is. */
const RPM_CLI_DIR = '/usr/lib/asm-erdma';

/**
 * The asm-erdma RPM the role installs in rpm mode: a noarch fixture holding a copy of this build's CLI (launcher
 * and bundle) under /usr/lib/asm-erdma and /usr/bin/asm-erdma, a wrapper that runs it with this machine's Node,
 * built with the real rpmbuild. The CLI then runs from the node's /usr, wherever the checkout is, so install-service
 * names it in ExecStart as it would the real RPM's binary (it refuses a checkout under /tmp or a home directory).
 * No automatic requirements: the nodes' rpm database (this machine's, under the node's overlay) provides nothing,
 * so the real RPM (release/asm-erdma-<v>-1.al8.x86_64.rpm), whose automatic requirements (libc.so.6…) nothing
 * here provides, cannot stand in for it.
 */
export function nodeRpm(dir: string): string {
  const top = join(dir, 'rpmbuild');
  const spec = join(dir, 'asm-erdma-fixture.spec');
  const payload = join(dir, 'rpm-payload');
  copyCli(payload);
  const wrapper = join(payload, 'asm-erdma');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' ${RPM_CLI_DIR}/bin/asm-erdma.js "$@"\n`);
  chmodSync(wrapper, 0o755);
  writeFileSync(
    spec,
    [
      'Name: asm-erdma',
      'Version: 0.1.0',
      'Release: 1.al8',
      'Summary: asm-erdma fleet test fixture',
      'License: Apache-2.0',
      'BuildArch: noarch',
      'AutoReqProv: no',
      '%description',
      'asm-erdma fleet test fixture: a copy of the built CLI and a wrapper that runs it.',
      '%install',
      `install -D -m 0755 ${wrapper} %{buildroot}/usr/bin/asm-erdma`,
      ...CLI_FILES.map((f) => `install -D -m 0644 ${join(payload, f)} %{buildroot}${RPM_CLI_DIR}/${f}`),
      '%files',
      '/usr/bin/asm-erdma',
      `${RPM_CLI_DIR}`,
      '',
    ].join('\n'),
  );
  const args = ['-bb', '--quiet', '--define', `_topdir ${top}`, spec];
  execFileSync('rpmbuild', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return join(top, 'RPMS/noarch/asm-erdma-0.1.0-1.al8.noarch.rpm');
}

export interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

/** PLAY RECAP lines: `node1 : ok=9 changed=3 unreachable=0 failed=0 skipped=1 rescued=0 ignored=0`. */
export function parseRecap(stdout: string): Map<string, Recap> {
  const out = new Map<string, Recap>();
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return out;
  for (const line of stdout.slice(at).split('\n')) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const fields = Object.fromEntries([...(m[2] as string).matchAll(/(\w+)=(\d+)/g)].map((f) => [f[1], Number(f[2])]));
    const n = (k: string): number => fields[k] ?? 0;
    const recap = { ok: n('ok'), changed: n('changed'), unreachable: n('unreachable'), failed: n('failed') };
    out.set(m[1] as string, { ...recap, skipped: n('skipped') });
  }
  return out;
}

export interface PlaybookResult extends RunResult {
  recap: Map<string, Recap>;
  ms: number;
}

export class FleetNode {
  readonly name: string;
  readonly mgmtAddress: string;
  readonly env: Record<string, string>;
  private sshd: ChildProcess | undefined;

  constructor(
    readonly sim: SimNode,
    readonly index: number,
    kernel: string,
    /** The node's package root: real dnf/rpm on it through the yum/rpm stand-ins. */
    readonly pkgRoot: string,
    /** Where the rpm stand-in works: pkgRoot, or '/' (FleetOptions.nodeRpmDb). */
    rpmRoot: string = pkgRoot,
  ) {
    this.name = `node${index}`;
    this.mgmtAddress = `198.18.${index}.2`;
    this.env = {
      PATH: STANDIN_PATH,
      SIM_UNAME_R: kernel,
      SIM_UNAME_R_FILE: '/run/sim-uname-r',
      SIM_PKG_ROOT: rpmRoot,
      SIM_SYSTEMCTL_LOG: join(sim.dir, 'systemctl.log'),
      SIM_REBOOT_LOG: join(sim.dir, 'reboot.log'),
      LANG: 'C.UTF-8',
    };
  }

  get pid(): number {
    const pid = this.sshd?.pid;
    if (pid === undefined) throw new Error(`${this.name}: sshd is not running`);
    return pid;
  }

  /** sshd in the node's network namespace and a private mount namespace; resolves once it listens. */
  startSshd(fleetDir: string): Promise<void> {
    const cfg = join(this.sim.dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `ListenAddress ${this.mgmtAddress}:22`,
        `HostKey ${join(fleetDir, 'host_key')}`,
        `AuthorizedKeysFile ${join(fleetDir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PidFile none',
        'Subsystem sftp internal-sftp',
        `SetEnv ${Object.entries(this.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
        '',
      ].join('\n'),
    );
    const mounts = [
      'set -e',
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      'mkdir -p /run/sshd',
      // the host's files stay visible; writes land in the node's own upper dir
      'for d in /etc /usr /var/lib /var/cache /var/log; do',
      '  u=/run/.sim-node$(echo "$d" | tr / _); mkdir -p "$u/upper" "$u/work"',
      '  mount -t overlay overlay -o "lowerdir=$d,upperdir=$u/upper,workdir=$u/work" "$d"',
      'done',
      'mount -t tmpfs -o mode=0700 tmpfs /root',
      'mount -t tmpfs -o mode=1777 tmpfs /var/tmp',
      `exec /usr/sbin/sshd -D -e -f '${cfg}'`,
    ].join('\n');
    const argv = ['netns', 'exec', this.sim.ns, ...inPrivateMounts(mounts)];
    const child = spawn('ip', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.sshd = child;
    return new Promise((resolve, reject) => {
      let err = '';
      let listening = false;
      const late = (): void => reject(new Error(`${this.name}: sshd did not listen within 20 s: ${err}`));
      const timer = setTimeout(late, 20_000);
      // sshd -e logs every connection to stderr: keep draining it, keep only what came before it listened
      child.stderr?.on('data', (d: Buffer) => {
        if (listening) return;
        err += d.toString();
        if (/Server listening on/.test(err)) {
          listening = true;
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name}: sshd exited with ${code}: ${err}`));
      });
    });
  }

  /** A shell command in the node as its ssh sessions see it (its netns, its mounts, its environment). */
  async shell(cmd: string, env: Record<string, string> = {}): Promise<RunResult> {
    const vars = Object.entries({ ...this.env, ...env }).map(([k, v]) => `${k}=${v}`);
    const argv = ['-t', String(this.pid), '-m', '-n', '--', 'env', '-i', ...vars, 'sh', '-c', cmd];
    const r = await execa('nsenter', argv, { reject: false, stdin: 'ignore' });
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  systemctlCalls(): string[] {
    const log = this.env.SIM_SYSTEMCTL_LOG as string;
    return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  }

  stopSshd(): void {
    this.sshd?.kill('SIGTERM');
    this.sshd = undefined;
  }
}

type Vars = Record<string, unknown>;

export interface PlaybookOptions {
  hostVars?: Record<string, Vars>;
  groupVars?: Vars;
  extraVars?: Vars;
  limit?: string;
  forks?: number;
  /** ansible-playbook --check (and --diff). */
  check?: boolean;
  diff?: boolean;
}

export interface FleetOptions {
  nodes: number;
  nics?: number;
  latencyMs?: number;
  /** Running kernel per node (default SIM_KERNEL for all). */
  kernels?: string[];
  /** Give the nodes a package root wired to the fixture kernel repository (for kernel upgrade/hotfix). */
  packages?: boolean;
  /**
   * The rpm stand-in works on the node's own root (its overlays), where the role's dnf module and the user data's
   * dnf install: one rpm database, as on a real node, so a key rpm_key or `rpm --import` adds is the one dnf checks.
   */
  nodeRpmDb?: boolean;
  /** With packages: the hotfix is in no repository the nodes have enabled. */
  withoutHotfix?: boolean;
}

let fleets = 0;

export class Fleet {
  readonly ctl: string;
  readonly dir: string;
  readonly nodes: FleetNode[] = [];
  readonly binary: string;

  private constructor() {
    this.ctl = `asmfleet-${process.pid}-${fleets++}`;
    this.dir = mkdtempSync(join(tmpdir(), 'asm-erdma-fleet-'));
    for (const d of ['home', 'ansible', 'local-tmp', 'cp']) mkdirSync(join(this.dir, d));
    writeFileSync(join(this.dir, 'ansible.cfg'), '# the fleet test: every setting comes from ANSIBLE_* variables\n');
    this.binary = standaloneBinary();
  }

  static async create(o: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet();
    try {
      for (const key of ['host_key', 'user_key']) {
        const comment = `asm-erdma-fleet-${key}`;
        await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(fleet.dir, key)]);
      }
      writeFileSync(join(fleet.dir, 'authorized_keys'), readFileSync(join(fleet.dir, 'user_key.pub')));
      // Built (synchronously) before the nodes start, so it cannot stall their start-up.
      if (o.packages) packageRepo();
      await execa('ip', ['netns', 'add', fleet.ctl]);
      await execa('ip', ['-n', fleet.ctl, 'link', 'set', 'lo', 'up']);
      // Nodes come up concurrently: each is independent (its own namespace, server, sshd).
      await Promise.all(Array.from({ length: o.nodes }, (_, i) => fleet.addNode(i + 1, o)));
      fleet.nodes.sort((a, b) => a.index - b.index);
    } catch (e) {
      await fleet.destroy();
      throw e;
    }
    return fleet;
  }

  private async addNode(index: number, o: FleetOptions): Promise<void> {
    const sim = await SimNode.create({ nics: o.nics ?? 2, latencyMs: o.latencyMs ?? 0 });
    let pkgRoot = join(sim.dir, 'pkgroot');
    try {
      if (o.packages) pkgRoot = packageNode({ installed: [], withoutHotfix: Boolean(o.withoutHotfix) });
      else mkdirSync(pkgRoot);
    } catch (e) {
      await sim.destroy();
      throw e;
    }
    const node = new FleetNode(sim, index, o.kernels?.[index - 1] ?? SIM_KERNEL, pkgRoot, o.nodeRpmDb ? '/' : pkgRoot);
    this.nodes.push(node);
    const peer = `fm${index}`;
    await execa('ip', ['-n', this.ctl, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', 'mgmt', 'netns', sim.ns]);
    await execa('ip', ['-n', this.ctl, 'addr', 'add', `198.18.${index}.1/24`, 'dev', peer]);
    await execa('ip', ['-n', this.ctl, 'link', 'set', peer, 'up']);
    await execa('ip', ['-n', sim.ns, 'addr', 'add', `${node.mgmtAddress}/24`, 'dev', 'mgmt']);
    await execa('ip', ['-n', sim.ns, 'link', 'set', 'mgmt', 'up']);
    await node.startSshd(this.dir);
  }

  node(name: string): FleetNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** The inventory: group asm_erdma_nodes, binary mode with nodeBinary(), the simulator's gate_ignore. */
  writeInventory(hostVars: Record<string, Vars> = {}, groupVars: Vars = {}): string {
    const host = (n: FleetNode): Vars => ({ ansible_host: n.mgmtAddress, ...hostVars[n.name] });
    const hosts = Object.fromEntries(this.nodes.map((n) => [n.name, host(n)]));
    const inventory = {
      all: {
        children: {
          asm_erdma_nodes: {
            hosts,
            vars: {
              ansible_user: 'root',
              ansible_ssh_private_key_file: join(this.dir, 'user_key'),
              ansible_python_interpreter: '/usr/bin/python3',
              asm_erdma_become: false,
              asm_erdma_install: 'binary',
              asm_erdma_binary_src: this.binary,
              asm_erdma_gate_ignore: SIM_GATE_IGNORE,
              ...groupVars,
            },
          },
        },
      },
    };
    const path = join(this.dir, 'inventory.yml');
    writeFileSync(path, JSON.stringify(inventory, null, 2));
    return path;
  }

  /** ansible-playbook site.yml in the control namespace; nothing it writes leaves the fleet's temp dir. */
  async playbook(o: PlaybookOptions = {}): Promise<PlaybookResult> {
    const inventory = this.writeInventory(o.hostVars, o.groupVars);
    const args = ['netns', 'exec', this.ctl, 'ansible-playbook', '-i', inventory, PLAYBOOK];
    if (o.extraVars) args.push('-e', JSON.stringify(o.extraVars));
    if (o.limit) args.push('--limit', o.limit);
    if (o.check) args.push('--check');
    if (o.diff) args.push('--diff');
    const env = {
      HOME: join(this.dir, 'home'),
      ANSIBLE_CONFIG: join(this.dir, 'ansible.cfg'),
      ANSIBLE_HOME: join(this.dir, 'ansible'),
      ANSIBLE_LOCAL_TEMP: join(this.dir, 'local-tmp'),
      ANSIBLE_REMOTE_TEMP: '/run/ansible-remote',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_SSH_ARGS: [
        '-F /dev/null -o ControlMaster=auto -o ControlPersist=120s',
        '-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR',
      ].join(' '),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(this.dir, 'cp'),
      ANSIBLE_PIPELINING: 'True',
      ANSIBLE_FORKS: String(o.forks ?? 10),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
      ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_STDOUT_CALLBACK: 'default',
      ANSIBLE_LOAD_CALLBACK_PLUGINS: 'False',
      ANSIBLE_TIMEOUT: '30',
    };
    const started = performance.now();
    const r = await execa('ip', args, { reject: false, stdin: 'ignore', cwd: this.dir, env, timeout: 600_000 });
    const stdout = String(r.stdout);
    const ms = performance.now() - started;
    return { exitCode: r.exitCode ?? 1, stdout, stderr: String(r.stderr), recap: parseRecap(stdout), ms };
  }

  /** Kills what is left in the fleet's namespaces (all started by it), removes namespaces, mounts and files. */
  async destroy(): Promise<void> {
    for (const n of this.nodes) n.stopSshd();
    const namespaces = [this.ctl, ...this.nodes.map((n) => n.sim.ns)];
    for (const ns of namespaces) {
      const listed = await execa('ip', ['netns', 'pids', ns], { reject: false });
      const pids = String(listed.stdout).split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const n of this.nodes) {
      await n.sim.destroy();
      rmSync(n.pkgRoot, { recursive: true, force: true });
    }
    await execa('ip', ['netns', 'del', this.ctl], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
