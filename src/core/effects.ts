/**
 * Every change asm-erdma makes to a node besides `ip` actions (core/nic-plan.ts has those), as a value: what
 * it is, how to say it (dry-run and --json print exactly this), and what undoes it given what was observed
 * before. The executor in host/executor.ts is the only code that turns them into changes.
 */
import type { LastSetup, OwnedRecord } from './owned-record.js';

export type SystemctlVerb = 'enable' | 'disable' | 'daemon-reload' | 'start' | 'restart' | 'stop';

export type Effect =
  /**
   * `previous`: the content before (undefined: there was no file); `reloadOnUndo`: its undo reloads systemd;
   * `makesDirs`: directories above it that did not exist (outermost first), which writing it creates.
   */
  | {
      kind: 'write-file';
      path: string;
      content: string;
      previous: string | undefined;
      reloadOnUndo: boolean;
      makesDirs?: string[];
    }
  | { kind: 'remove-file'; path: string; previous: string | undefined; reloadOnUndo: boolean }
  /**
   * Undo of a file change: put `content` back (undefined: remove the file, then `removeDirs`, innermost first,
   * each only if empty), then maybe reload systemd once.
   */
  | { kind: 'restore-file'; path: string; content: string | undefined; reload: boolean; removeDirs?: string[] }
  /** `root`: an image root (systemctl --root=DIR); undefined on a live node. */
  | { kind: 'systemctl'; verb: SystemctlVerb; unit?: string; root?: string }
  | { kind: 'write-record'; path: string; record: OwnedRecord }
  /** How setup's run ended, next to the record (written last, like it; never undone). */
  | { kind: 'write-last-setup'; path: string; outcome: LastSetup }
  | { kind: 'install-package'; tool: 'yum' | 'dnf'; spec: string }
  | { kind: 'reboot' };

export const UNIT_FILE_MODE = 0o644;

export function systemctlArgv(e: Extract<Effect, { kind: 'systemctl' }>): string[] {
  return [...(e.root ? [`--root=${e.root}`] : []), e.verb, ...(e.unit ? [e.unit] : [])];
}

export const installArgv = (e: Extract<Effect, { kind: 'install-package' }>): string[] => [
  e.tool,
  'install',
  '-y',
  e.spec,
];

/** The exact command or file change. */
export function describeEffect(e: Effect): string {
  switch (e.kind) {
    case 'write-file':
      return `write ${e.path} (mode 0644)`;
    case 'remove-file':
      return `remove ${e.path}`;
    case 'restore-file': {
      const what = e.content === undefined ? 'remove' : 'restore the previous';
      const dirs = e.removeDirs?.length ? ` and the directories it made (${e.removeDirs.join(', ')})` : '';
      return `${what} ${e.path}${dirs}${e.reload ? ', systemctl daemon-reload' : ''}`;
    }
    case 'systemctl':
      return `systemctl ${systemctlArgv(e).join(' ')}`;
    case 'write-record':
    case 'write-last-setup':
      return `write ${e.path}`;
    case 'install-package':
      return installArgv(e).join(' ');
    case 'reboot':
      return 'reboot';
  }
}

const UNDO_VERB: Partial<Record<SystemctlVerb, SystemctlVerb>> = { enable: 'disable', disable: 'enable' };

/**
 * What puts the node back after `e` ran, or undefined when nothing needs undoing: a start, stop or reload of a
 * oneshot leaves nothing behind; a package install and a reboot are not undone; the record is written last.
 */
export function inverseEffect(e: Effect): Effect | undefined {
  switch (e.kind) {
    case 'write-file':
    case 'remove-file': {
      if (e.kind === 'remove-file' && e.previous === undefined) return undefined;
      const undo: Effect = { kind: 'restore-file', path: e.path, content: e.previous, reload: e.reloadOnUndo };
      const made = e.kind === 'write-file' && e.previous === undefined ? (e.makesDirs ?? []) : [];
      return made.length > 0 ? { ...undo, removeDirs: [...made].reverse() } : undo;
    }
    case 'systemctl': {
      const verb = UNDO_VERB[e.verb];
      return verb ? { ...e, verb } : undefined;
    }
    default:
      return undefined;
  }
}
