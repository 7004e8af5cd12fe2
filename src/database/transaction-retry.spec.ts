import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryFailedError } from 'typeorm';
import { isRetryableTransactionError, withTransactionRetry } from './transaction-retry';

/** A QueryFailedError as TypeORM builds it from a mysql2 error. */
function mysqlError(errno: number, code: string): QueryFailedError {
  const driverError = Object.assign(new Error(code), { errno, code });
  return new QueryFailedError('UPDATE ...', [], driverError);
}

const DEADLOCK = () => mysqlError(1213, 'ER_LOCK_DEADLOCK');
const LOCK_WAIT_TIMEOUT = () => mysqlError(1205, 'ER_LOCK_WAIT_TIMEOUT');
const DUPLICATE = () => mysqlError(1062, 'ER_DUP_ENTRY');

/**
 * What two processes on one SQLite file (WAL) really raise: `reader` began a transaction and
 * read, `writer` committed since, so `reader` can't write on its old snapshot.
 */
function staleSnapshotError(): unknown {
  const folder = mkdtempSync(join(tmpdir(), 'retry-'));
  const [reader, writer] = [0, 1].map(() => new Database(join(folder, 'db.sqlite')));
  try {
    reader.pragma('journal_mode = WAL');
    reader.exec('CREATE TABLE t (n INTEGER)');
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM t').get();
    writer.exec('INSERT INTO t VALUES (1)');
    reader.exec('INSERT INTO t VALUES (2)');
    return null;
  } catch (driverError) {
    return new QueryFailedError('INSERT ...', [], driverError as Error);
  } finally {
    reader.close();
    writer.close();
    rmSync(folder, { recursive: true });
  }
}

describe(withTransactionRetry.name, () => {
  const waits: number[] = [];
  const policy = {
    maxAttempts: 5,
    baseDelayMs: 20,
    delayMs: (ceiling: number) => ceiling / 2,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };

  beforeEach(() => (waits.length = 0));

  it('should recognise deadlocks and lock wait timeouts, and nothing else', () => {
    expect(isRetryableTransactionError(DEADLOCK())).toBe(true);
    expect(isRetryableTransactionError(LOCK_WAIT_TIMEOUT())).toBe(true);
    expect(isRetryableTransactionError(DUPLICATE())).toBe(false);
    expect(isRetryableTransactionError({ driverError: { errno: 1213 } })).toBe(true);
    expect(isRetryableTransactionError(new Error('Deadlock found'))).toBe(false);
    expect(isRetryableTransactionError(null)).toBe(false);
    expect(isRetryableTransactionError('1213')).toBe(false);
  });

  it("should recognise SQLite's busy database and stale snapshot, and nothing else", () => {
    const stale = staleSnapshotError();
    expect(stale).toBeInstanceOf(QueryFailedError);
    expect(isRetryableTransactionError(stale)).toBe(true);
    expect(isRetryableTransactionError({ driverError: { code: 'SQLITE_BUSY' } })).toBe(true);
    expect(isRetryableTransactionError({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(false);
    expect(isRetryableTransactionError({ code: 'ER_LOCK_DEADLOCK', errno: 1062 })).toBe(false);
  });

  it.each([
    ['a deadlock', DEADLOCK],
    ['a lock wait timeout', LOCK_WAIT_TIMEOUT],
  ])('should run the work again after %s, waiting longer each time', async (_, error) => {
    let calls = 0;
    const sut = withTransactionRetry((attempt) => {
      calls += 1;
      expect(attempt).toBe(calls);
      return calls < 4 ? Promise.reject(error()) : Promise.resolve('committed');
    }, policy);

    await expect(sut).resolves.toBe('committed');
    expect(calls).toBe(4);
    expect(waits).toEqual([10, 20, 40]);
  });

  it('should give up after maxAttempts with the last error', async () => {
    let calls = 0;
    const last = DEADLOCK();
    const sut = withTransactionRetry(() => {
      calls += 1;
      return Promise.reject(calls === 5 ? last : DEADLOCK());
    }, policy);

    await expect(sut).rejects.toBe(last);
    expect(calls).toBe(5);
    expect(waits).toHaveLength(4);
  });

  it('should not run the work again after any other error', async () => {
    let calls = 0;
    const duplicate = DUPLICATE();
    const sut = withTransactionRetry(() => {
      calls += 1;
      return Promise.reject(duplicate);
    }, policy);

    await expect(sut).rejects.toBe(duplicate);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('should wait a random time below the doubling ceiling by default', async () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      let calls = 0;
      const sut = withTransactionRetry(
        () => (++calls < 3 ? Promise.reject(DEADLOCK()) : Promise.resolve(calls)),
        { ...policy, delayMs: undefined },
      );
      await expect(sut).resolves.toBe(3);
      expect(waits).toEqual([19.98, 39.96]);
    } finally {
      random.mockRestore();
    }
  });
});
