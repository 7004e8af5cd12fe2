import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { DataSource, EntityManager } from 'typeorm';
import type { BetterSqlite3Driver } from 'typeorm/driver/better-sqlite3/BetterSqlite3Driver';
import { takeWriteLock, whileWriteLockBusy } from './sqlite-write-lock';
import { withTransactionRetry } from './transaction-retry';

/** A running transaction: its EntityManager, and work to do only once it has committed. */
export interface Tx {
  manager: EntityManager;
  afterCommit(callback: () => void): void;
}

/**
 * Runs units of work in database transactions.
 *
 * SQLite: TypeORM's better-sqlite3 driver shares one connection, so two concurrent
 * transactions would interleave on it (the second becomes a savepoint of the first); they are
 * queued here instead. Between processes on one file (the workers of WORKERS, or the CLI
 * beside the server) SQLite's write lock orders them: each transaction takes it first, and
 * while another process holds it, tries again a millisecond later (sqlite-write-lock.ts).
 * MySQL: READ COMMITTED, so a statement sees what other transactions committed before it;
 * callers take row locks where an order matters, in ascending id order (see MessagesService).
 * A transaction the database aborts for a deadlock, a lock wait timeout or (SQLite) a busy
 * database is run again from the start (bounded, with jittered waits: see
 * transaction-retry.ts), so such a collision
 * never reaches the user. `work` must therefore do nothing but database work and
 * afterCommit: only the callbacks of the attempt that committed run, once, after COMMIT.
 */
@Injectable()
export class TransactionService {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  /** better-sqlite3's handle: TypeORM's driver runs every query on this one connection. */
  private get sqliteConnection(): Database {
    return (this.dataSource.driver as BetterSqlite3Driver).databaseConnection as Database;
  }

  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.isSqlite) {
      // The callbacks run before the next queued transaction starts, so events leave in
      // commit order.
      return this.queued(async () =>
        this.runCallbacks(
          await withTransactionRetry(() => whileWriteLockBusy(() => this.attempt(work))),
        ),
      );
    }
    return this.runCallbacks(await withTransactionRetry(() => this.attempt(work)));
  }

  private runCallbacks<T>({ result, afterCommit }: { result: T; afterCommit: (() => void)[] }) {
    for (const callback of afterCommit) {
      callback();
    }
    return result;
  }

  private queued<T>(task: () => Promise<T>): Promise<T> {
    const result = this.sqliteQueue.then(task);
    this.sqliteQueue = result.catch(() => undefined);
    return result;
  }

  /** One attempt, with its own afterCommit list: dropped with the attempt if it fails. */
  private async attempt<T>(work: (tx: Tx) => Promise<T>) {
    const afterCommit: (() => void)[] = [];
    const run = (manager: EntityManager) =>
      work({ manager, afterCommit: (callback) => afterCommit.push(callback) });
    const result = this.isSqlite
      ? await this.dataSource.transaction((manager) => {
          takeWriteLock(this.sqliteConnection);
          return run(manager);
        })
      : await this.dataSource.transaction('READ COMMITTED', run);
    return { result, afterCommit };
  }
}
