/**
 * A run lock on a Linux abstract unix socket. The kernel frees it when the holder dies (no stale lock files
 * after a crash or `kill -9`), and its scope is the network namespace — exactly the scope of what setup and
 * reset change, so runs in separate namespaces (the simulator's nodes) do not contend.
 */
import net from 'node:net';
import { sleep, type Deadline } from '../core/deadline.js';
import { ExitCode, ExitError } from '../exit-codes.js';

const LOCK_NAME = '\0asm-erdma.lock';

export interface Lock {
  release(): Promise<void>;
}

function tryListen(name: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen({ path: name, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Whether a setup or reset run holds the lock now, without taking it: connecting to the holder's socket
 * succeeds only while it listens (status uses this to say "a run is in progress" instead of "run setup").
 */
export function lockHeld(name = LOCK_NAME): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: name });
    const done = (held: boolean): void => {
      socket.destroy();
      resolve(held);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function lockedError(): ExitError {
  return new ExitError(
    'locked',
    'another asm-erdma run held the lock for the whole deadline',
    'wait for it to finish, or raise --timeout',
  );
}

/** Waits (bounded by the run's deadline) for the lock, telling the user once that another run holds it. */
export async function acquireLock(deadline: Deadline, onWait: () => void, name = LOCK_NAME): Promise<Lock> {
  let waited = false;
  for (;;) {
    const server = await tryListen(name);
    if (server) {
      const lock = { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
      // Freed just as the deadline ended: there is no time left to work, and that is the other run's doing.
      if (!waited || !deadline.expired()) return lock;
      await lock.release();
      throw lockedError();
    }
    if (!waited) onWait();
    waited = true;
    if (deadline.expired()) throw lockedError();
    await sleep(Math.min(50 + Math.random() * 100, deadline.remaining()));
  }
}

/** Failures that mean "the deadline ran out" (metadata, device wait, a tool killed), not a broken node. */
const DEADLINE_KINDS: readonly number[] = [ExitCode.metadata, ExitCode.noDevice, ExitCode.toolTimeout];
const SPENT_MS = 250;

/**
 * After a lock wait that took most of the deadline, running out of time later is the other run's doing:
 * exit 7 with both facts, rather than blaming the metadata server, the devices or a tool.
 */
export function blameLockWait(e: unknown, deadline: Deadline, lockWaitMs: number): unknown {
  if (!(e instanceof ExitError) || !DEADLINE_KINDS.includes(e.code)) return e;
  if (lockWaitMs < deadline.totalMs / 2 || deadline.remaining() > SPENT_MS) return e;
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  return new ExitError(
    'locked',
    `another asm-erdma run held the lock for ${s(lockWaitMs)} s of the ${s(deadline.totalMs)} s deadline, ` +
      `then: ${e.message}`,
    'run again when the other run is done, or raise --timeout',
  );
}
