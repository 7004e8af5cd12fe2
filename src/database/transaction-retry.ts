/** MySQL/MariaDB errors after which the server has given up the transaction's locks. */
const RETRYABLE_ERRNOS: ReadonlySet<number> = new Set([
  1213, // ER_LOCK_DEADLOCK: chosen as the deadlock victim; the transaction was rolled back
  1205, // ER_LOCK_WAIT_TIMEOUT: waited innodb_lock_wait_timeout for a row lock
]);

/**
 * SQLite (several app processes on one file, WORKERS > 1): a transaction that read before
 * another process committed can't write on its stale snapshot (SQLITE_BUSY_SNAPSHOT), and a
 * lock still held after the busy timeout gives SQLITE_BUSY. Either way nothing was written.
 */
const RETRYABLE_SQLITE_CODE = /^SQLITE_BUSY/;

/**
 * Whether the database aborted the transaction only because of another one, so running the
 * same work again is safe and will likely succeed. TypeORM's QueryFailedError carries the
 * driver's errno (MySQL) or code (SQLite), and the driver error is kept as `driverError` too.
 */
export function isRetryableTransactionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { errno, code, driverError } = error as {
    errno?: unknown;
    code?: unknown;
    driverError?: { errno?: unknown; code?: unknown };
  };
  const mysqlErrno = typeof errno === 'number' ? errno : driverError?.errno;
  if (typeof mysqlErrno === 'number') {
    return RETRYABLE_ERRNOS.has(mysqlErrno);
  }
  const sqliteCode = typeof code === 'string' ? code : driverError?.code;
  return typeof sqliteCode === 'string' && RETRYABLE_SQLITE_CODE.test(sqliteCode);
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The longest wait before the first retry; it doubles for each further one. */
  baseDelayMs: number;
  /** Picks a wait below the ceiling; by default at random in [0, ceiling). */
  delayMs?: (ceilingMs: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

// Eight attempts: under heavy contention on a loaded 2-core machine (a post locking its author
// and the users it mentions while follows and deliveries lock the same rows), one transaction
// lost five deadlocks in a row; the waits before the eighth reach ~2.5 s at most.
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 20 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails with an error that is not a deadlock or lock wait
 * timeout, or has failed `maxAttempts` times (the last error is thrown). Waits are jittered
 * ("full jitter"), so the transactions that collided don't collide again in step.
 */
export async function withTransactionRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): Promise<T> {
  const delayMs = policy.delayMs ?? ((ceiling: number) => Math.random() * ceiling);
  const wait = policy.sleep ?? sleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= policy.maxAttempts || !isRetryableTransactionError(error)) {
        throw error;
      }
      await wait(delayMs(policy.baseDelayMs * 2 ** (n - 1)));
    }
  }
}
