import type { Database, Statement } from 'better-sqlite3';

/**
 * A write that changes nothing. SQLite waits for the write lock only for a transaction that
 * starts with a write: one that read first and then writes while another process holds the
 * lock fails at once (SQLITE_BUSY). So every transaction takes the lock with this, first.
 */
const TAKE_WRITE_LOCK = 'UPDATE users SET id = id WHERE 0';
/** How long a transaction waits for another process to release the write lock. */
const LOCK_WAIT_MS = 10_000;
/** Between two tries the process serves other requests (a busy timeout would freeze it). */
const RETRY_AFTER_MS = 1;

/** Another process holds the write lock (a worker of the cluster, the CLI). */
export class WriteLockBusyError extends Error {
  override name = 'WriteLockBusyError';
}

/** Per connection: the prepared lock statement and the busy timeout to put back after it. */
const prepared = new WeakMap<Database, { take: Statement; busyTimeout: number }>();

/**
 * Takes the write lock as the open transaction's first statement, or throws
 * WriteLockBusyError at once if another process holds it (busy timeout 0 for this statement).
 */
export function takeWriteLock(db: Database): void {
  let lock = prepared.get(db);
  if (!lock) {
    lock = {
      take: db.prepare(TAKE_WRITE_LOCK),
      busyTimeout: db.pragma('busy_timeout', { simple: true }) as number,
    };
    prepared.set(db, lock);
  }
  db.pragma('busy_timeout = 0');
  try {
    lock.take.run();
  } catch (error) {
    throw (error as { code?: unknown }).code === 'SQLITE_BUSY'
      ? new WriteLockBusyError('Another process holds the database write lock')
      : error;
  } finally {
    db.pragma(`busy_timeout = ${lock.busyTimeout}`);
  }
}

/** Runs `attempt` again every millisecond while it fails for the write lock, for up to 10 s. */
export async function whileWriteLockBusy<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof WriteLockBusyError) || Date.now() >= deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
    }
  }
}
