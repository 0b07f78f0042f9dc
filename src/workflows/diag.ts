/**
 * diag: is SMC really used? Samples the SMC sockets of every network namespace on the node (smcss inside each:
 * workflows/smc-namespaces) once, or every --watch seconds for --count samples or until SIGINT; each sample has
 * its own deadline (--timeout). Without the smc module or smc-tools it stops at once with one line saying which.
 */
import { Deadline } from '../core/deadline.js';
import { smcScopes, type NamespacesSample, type PodFilter } from '../core/smc-namespaces.js';
import type { SmcScope } from '../core/smcss.js';
import { ExitError } from '../exit-codes.js';
import type { Host } from '../host/host.js';
import { sampleNamespaces } from './smc-namespaces.js';

export interface DiagOptions {
  /** Seconds between samples; undefined = one sample. */
  watchSeconds: number | undefined;
  /** With watch: stop after this many samples (undefined = until SIGINT). */
  count: number | undefined;
  /** Each sample's deadline: every namespace not read by then is killed and marked timed-out. */
  timeoutSeconds: number;
  filter: PodFilter;
}

export interface DiagReport {
  samples: NamespacesSample[];
  /** Some sample had a connection that fell back to TCP. */
  fellBack: boolean;
  /** Namespaces whose smcss was killed at a sample's deadline (their labels, in the order met). */
  timedOut: string[];
}

function preflight(host: Host): string {
  const smc = host.smcPresent();
  const smcss = host.findTool('smcss');
  if (smc && smcss) return smcss;
  const missing = [
    ...(smc ? [] : ['the smc kernel module is not loaded (no connection can use SMC)']),
    ...(smcss ? [] : ['smcss is not installed (smc-tools)']),
  ];
  const fix = [...(smc ? [] : ['modprobe smc']), ...(smcss ? [] : ['yum install -y smc-tools'])].join(' && ');
  throw new ExitError('missingTool', `cannot look at SMC sockets: ${missing.join(' and ')}`, fix);
}

/**
 * The SMC connections as diag sees them, one reading per network namespace with the labels of where it was taken
 * (core/smc-namespaces smcScopes): what `metrics` exports. Throws diag's missingTool error when smcss or the smc
 * module is missing, or smcss fails; a namespace not read by the deadline has no reading.
 */
export async function readSmc(host: Host, at = new Date(), deadline = new Deadline(20_000)): Promise<SmcScope[]> {
  const smcss = preflight(host);
  host.changes.requirePrivilege('root', "reading SMC in every pod's network namespace");
  const sample = await sampleNamespaces(host, { smcss, deadline });
  return smcScopes({ ...sample, at: at.toISOString() });
}

/** Resolves after `ms`, or at once when SIGINT arrives (then `stopped` is true). */
function pause(ms: number, state: { stopped: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onInt = (): void => {
      state.stopped = true;
      done();
    };
    const timer = setTimeout(done, ms);
    process.once('SIGINT', onInt);
  });
}

/** --pod / --namespace that name no pod on the node: a typo, not an empty report. */
function noSuchPod(filter: PodFilter): ExitError {
  const wanted = [filter.namespace && `in namespace ${filter.namespace}`, filter.pod && `named ${filter.pod}`];
  return new ExitError(
    'usage',
    `no pod ${wanted.filter(Boolean).join(' ')} on this node`,
    "the pods here: asm-erdma diag --json | jq -r '.pods[].pod'",
  );
}

export async function runDiag(
  host: Host,
  o: DiagOptions,
  onSample: (s: NamespacesSample) => void,
): Promise<DiagReport> {
  const smcss = preflight(host);
  // smc_diag shows only the caller's namespace: every pod's must be listed and entered (setns), as root.
  host.changes.requirePrivilege('root', "diag (it reads every pod's network namespace)");
  const samples: NamespacesSample[] = [];
  const state = { stopped: false };
  // A SIGINT while smcss runs ends the watch after that sample instead of killing the process.
  const onInt = (): void => {
    state.stopped = true;
  };
  // Taken from the CLI's interrupt handler (host/interrupt.ts), which would otherwise end the process.
  const giveBack = o.watchSeconds !== undefined ? host.takeSigint() : () => {};
  if (o.watchSeconds !== undefined) process.on('SIGINT', onInt);
  try {
    for (;;) {
      const deadline = new Deadline(o.timeoutSeconds * 1000);
      const sample = await sampleNamespaces(host, { smcss, deadline, filter: o.filter });
      const filtered = o.filter.pod !== undefined || o.filter.namespace !== undefined;
      if (filtered && samples.length === 0 && sample.pods.length === 0 && sample.netns.vanished === 0) {
        throw noSuchPod(o.filter);
      }
      samples.push(sample);
      onSample(sample);
      if (o.watchSeconds === undefined || state.stopped || (o.count !== undefined && samples.length >= o.count)) break;
      await pause(o.watchSeconds * 1000, state);
      if (state.stopped) break;
    }
  } finally {
    process.off('SIGINT', onInt);
    giveBack();
  }
  const timedOut = samples.flatMap((s) => s.pods.filter((p) => p.state === 'timed-out').map((p) => p.pod));
  return { samples, fellBack: samples.some((s) => s.fellBack > 0), timedOut: [...new Set(timedOut)] };
}
