/**
 * What is at a path asm-erdma reads before it writes, replaces or removes it. A file is absent, a regular file
 * that was read, or something it must not touch: unreadable (its content is unknown, so it could not be put back),
 * or not a regular file at all (a FIFO, a socket, a device, a directory, a symbolic link). Only the first two may
 * be changed; the others are refused before anything changes.
 */
export type FileState =
  | { kind: 'absent' }
  | { kind: 'regular'; content: string }
  /** `code`: the errno name (EACCES…). */
  | { kind: 'unreadable'; code: string }
  /** `what`: e.g. "a FIFO", "a symbolic link to /dev/null". */
  | { kind: 'not-regular'; what: string };

/** The one-line refusal for a state that may not be changed, or undefined when it may. */
export function unusableFile(path: string, state: FileState): { message: string; hint: string } | undefined {
  switch (state.kind) {
    case 'absent':
    case 'regular':
      return undefined;
    case 'unreadable':
      return {
        message: `cannot read ${path}: ${state.code}; nothing was changed`,
        hint: 'run as root, or as the owner of the file: what is there must be known before it is replaced',
      };
    case 'not-regular': {
      const masked = state.what === 'a symbolic link to /dev/null';
      return {
        message: `${path} is ${state.what}, not a regular file; nothing was changed`,
        hint: masked
          ? 'the unit is masked: systemctl unmask it first'
          : 'asm-erdma writes only regular files there: move it away, then run this again',
      };
    }
  }
}

/** The content of a state that may be changed: undefined for an absent file. */
export const contentOf = (state: FileState): string | undefined =>
  state.kind === 'regular' ? state.content : undefined;
