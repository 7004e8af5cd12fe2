import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

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
 * queued here instead. SQLite is the single-process embedded default, so an in-process queue
 * is a complete answer.
 * MySQL: READ COMMITTED, so a statement sees what other transactions committed before it;
 * callers take row locks where an order matters (see MessagesService).
 */
@Injectable()
export class TransactionService {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (!this.isSqlite) {
      return this.execute(work);
    }
    const result = this.sqliteQueue.then(() => this.execute(work));
    this.sqliteQueue = result.catch(() => undefined);
    return result;
  }

  private async execute<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const committed: (() => void)[] = [];
    const run = (manager: EntityManager) =>
      work({ manager, afterCommit: (callback) => committed.push(callback) });
    const result = this.isSqlite
      ? await this.dataSource.transaction(run)
      : await this.dataSource.transaction('READ COMMITTED', run);
    for (const callback of committed) {
      callback();
    }
    return result;
  }
}
