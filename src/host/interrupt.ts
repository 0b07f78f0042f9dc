/**
 * The one handler for SIGINT, SIGTERM and SIGHUP. Detached children (bounded tools run in their own process
 * group) do not get the terminal's Ctrl-C or systemd's SIGTERM, so the handler kills them; the CLI adds what
 * to tell the user (clear the spinner, say what was changed); then the process dies of the signal, as a shell
 * expects (exit status 128 + signal number).
 */
type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const SIGNALS: readonly Signal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Run first, in order of registration: killing tools, then telling the user. */
const steps = new Set<(signal: Signal) => void>();
let hooked = false;
/** Something that ends gracefully on Ctrl-C (diag --watch) has taken SIGINT over. */
let sigintTaken = 0;

function onSignal(signal: Signal): void {
  if (signal === 'SIGINT' && sigintTaken > 0) return;
  for (const step of steps) {
    try {
      step(signal);
    } catch {
      // The next step (and dying of the signal) must still happen.
    }
  }
  for (const s of SIGNALS) process.removeAllListeners(s);
  process.kill(process.pid, signal);
}

/** Adds a step to the handler (installed on first use); returns its removal. */
export function onInterrupt(step: (signal: Signal) => void): () => void {
  if (!hooked) {
    hooked = true;
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  steps.add(step);
  return () => void steps.delete(step);
}

/** While the returned function is not called, SIGINT is left to the caller's own listener. */
export function takeSigint(): () => void {
  sigintTaken++;
  let given = false;
  return () => {
    if (!given) sigintTaken--;
    given = true;
  };
}
