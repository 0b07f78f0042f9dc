/**
 * A run lock on a Linux abstract unix socket. The kernel frees it when the holder dies (no stale lock files
 * after a crash or `kill -9`), and its scope is the network namespace — exactly the scope of what setup and
 * reset change, so runs in separate namespaces (the simulator's nodes) do not contend.
 */
import net from 'node:net';
import { sleep, type Deadline } from '../core/deadline.js';
import { ExitError } from '../exit-codes.js';

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

/** Waits (bounded by the run's deadline) for the lock, telling the user once that another run holds it. */
export async function acquireLock(deadline: Deadline, onWait: () => void, name = LOCK_NAME): Promise<Lock> {
  let waited = false;
  for (;;) {
    const server = await tryListen(name);
    if (server) return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    if (!waited) onWait();
    waited = true;
    if (deadline.expired()) {
      throw new ExitError('locked', 'another asm-erdma run held the lock for the whole deadline', 'wait for it to finish, or raise --timeout');
    }
    await sleep(Math.min(50 + Math.random() * 100, deadline.remaining()));
  }
}
