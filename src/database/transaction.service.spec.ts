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
  return { options: { type }, transaction } as unknown as DataSource & {
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
