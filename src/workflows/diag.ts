/**
 * diag: is SMC really used? Samples the node's SMC sockets (smcss) once, or every --watch seconds for --count
 * samples or until SIGINT, and sums each sample up (core/smcss). Without the smc module or smc-tools it
 * stops at once with one line saying which.
 */
import { ExitError } from '../exit-codes.js';
import { summarize, type DiagSample, type SmcScope } from '../core/smcss.js';
import type { Host } from '../host/host.js';

export interface DiagOptions {
  /** Seconds between samples; undefined = one sample. */
  watchSeconds: number | undefined;
  /** With watch: stop after this many samples (undefined = until SIGINT). */
  count: number | undefined;
}

export interface DiagReport {
  samples: DiagSample[];
  /** Some sample had a connection that fell back to TCP. */
  fellBack: boolean;
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
 * The SMC connections as diag sees them, each reading with the labels of where it was taken: today one reading,
 * `smcss` in this network namespace (no labels). Throws diag's missingTool error when smcss or the smc module is
 * missing, or smcss fails.
 */
export async function readSmc(host: Host, at = new Date()): Promise<SmcScope[]> {
  const smcss = preflight(host);
  return [{ labels: {}, sample: summarize(await host.smcSockets(smcss), at) }];
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

export async function runDiag(host: Host, o: DiagOptions, onSample: (s: DiagSample) => void): Promise<DiagReport> {
  const smcss = preflight(host);
  const samples: DiagSample[] = [];
  const state = { stopped: false };
  // A SIGINT while smcss runs ends the watch after that sample instead of killing the process.
  const onInt = (): void => {
    state.stopped = true;
  };
  if (o.watchSeconds !== undefined) process.on('SIGINT', onInt);
  try {
    for (;;) {
      const sample = summarize(await host.smcSockets(smcss), new Date());
      samples.push(sample);
      onSample(sample);
      if (o.watchSeconds === undefined || state.stopped || (o.count !== undefined && samples.length >= o.count)) break;
      await pause(o.watchSeconds * 1000, state);
      if (state.stopped) break;
    }
  } finally {
    process.off('SIGINT', onInt);
  }
  return { samples, fellBack: samples.some((s) => s.fellBack > 0) };
}
