import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { TransactionService } from './transaction.service';

const deadlock = () =>
  new QueryFailedError('INSERT ...', [], Object.assign(new Error('Deadlock'), { errno: 1213 }));

/** A DataSource whose transactions run the work, then fail as the script says. */
function fakeDataSource(type: string, outcomes: ('commit' | 'deadlock' | 'error')[]) {
  const manager = {} as EntityManager;
  let call = 0;
  const transaction = jest.fn(async (...args: unknown[]) => {
    const run = args[args.length - 1] as (m: EntityManager) => Promise<unknown>;
    const outcome = outcomes[call++] ?? 'commit';
    const result = await run(manager);
    if (outcome === 'deadlock') {
      throw deadlock();
    }
    if (outcome === 'error') {
      throw new Error('disk full');
    }
    return result;
  });
  // better-sqlite3's handle, for the write lock a SQLite transaction takes first.
  const databaseConnection = { pragma: () => 0, prepare: () => ({ run: () => undefined }) };
  return { options: { type }, transaction, driver: { databaseConnection } } as unknown as DataSource & {
    transaction: jest.Mock;
  };
}

describe(TransactionService.name, () => {
  it('should run afterCommit callbacks of the attempt that committed only, once', async () => {
    const dataSource = fakeDataSource('mariadb', ['deadlock', 'deadlock', 'commit']);
    const sut = new TransactionService(dataSource);
    const published: number[] = [];
    let attempt = 0;

    const result = sut.run((tx) => {
      attempt += 1;
      const mine = attempt;
      tx.afterCommit(() => published.push(mine));
      expect(published).toEqual([]);
      return Promise.resolve(`attempt ${mine}`);
    });

    await expect(result).resolves.toBe('attempt 3');
    expect(published).toEqual([3]);
    expect(dataSource.transaction).toHaveBeenCalledTimes(3);
    expect(dataSource.transaction).toHaveBeenCalledWith('READ COMMITTED', expect.any(Function));
  });

  it('should give up after 8 attempts (the default policy) and publish nothing', async () => {
    const dataSource = fakeDataSource('mariadb', Array<'deadlock'>(9).fill('deadlock'));
    const sut = new TransactionService(dataSource);
    const published: string[] = [];

    const result = sut.run((tx) => {
      tx.afterCommit(() => published.push('x'));
      return Promise.resolve();
    });

    await expect(result).rejects.toThrow(QueryFailedError);
    expect(dataSource.transaction).toHaveBeenCalledTimes(8);
    expect(published).toEqual([]);
  });

  it('should not run the work again after another error', async () => {
    const dataSource = fakeDataSource('mysql', ['error']);
    const sut = new TransactionService(dataSource);

    await expect(sut.run(() => Promise.resolve())).rejects.toThrow('disk full');
    expect(dataSource.transaction).toHaveBeenCalledTimes(1);
  });

  it('should queue SQLite transactions and publish each one before the next starts', async () => {
    const dataSource = fakeDataSource('better-sqlite3', []);
    const sut = new TransactionService(dataSource);
    const log: string[] = [];

    await Promise.all(
      ['a', 'b'].map((name) =>
        sut.run(async (tx) => {
          log.push(`start ${name}`);
          tx.afterCommit(() => log.push(`publish ${name}`));
          await new Promise((resolve) => setTimeout(resolve, 5));
          log.push(`end ${name}`);
        }),
      ),
    );

    expect(log).toEqual(['start a', 'end a', 'publish a', 'start b', 'end b', 'publish b']);
  });
});

/** Another connection (a thread: it must run while this one waits) holding the write lock. */
function holdWriteLock(file: string, ms: number): Promise<Worker> {
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const db = new (require('better-sqlite3'))(workerData.file);
     db.exec('BEGIN IMMEDIATE');
     parentPort.postMessage('locked');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
     db.exec('COMMIT');
     db.close();`,
    { eval: true, workerData: { file, ms } },
  );
  return new Promise((resolve) => worker.once('message', () => resolve(worker)));
}

describe(`${TransactionService.name} on a SQLite file shared with another process`, () => {
  let folder: string;
  let dataSource: DataSource;

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'tx-'));
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: join(folder, 'db.sqlite'),
      enableWAL: true,
      timeout: 5_000,
    });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE users (id INTEGER PRIMARY KEY)');
  });

  afterEach(async () => {
    await dataSource.destroy();
    rmSync(folder, { recursive: true, force: true });
  });

  it('should wait for the write lock, then read and write in one attempt', async () => {
    const holder = await holdWriteLock(join(folder, 'db.sqlite'), 300);
    const sut = new TransactionService(dataSource);
    let attempts = 0;
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 10);

    await sut.run(async ({ manager }) => {
      attempts += 1;
      await manager.query('SELECT COUNT(*) FROM users');
      await manager.query('INSERT INTO users DEFAULT VALUES');
    });
    clearInterval(ticking);

    expect(attempts).toBe(1);
    // The process went on meanwhile: waiting for the lock did not freeze its event loop.
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(await dataSource.query('SELECT COUNT(*) AS n FROM users')).toEqual([{ n: 1 }]);
    await holder.terminate();
  });
});
