/** -q/--quiet: only errors and the result (stdout) remain; set once by the CLI before a command runs. */
let quiet = false;

export function setQuiet(on: boolean): void {
  quiet = on;
}

export function isQuiet(): boolean {
  return quiet;
}
