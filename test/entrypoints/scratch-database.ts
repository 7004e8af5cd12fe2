import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../utils/mysql';

export type Dialect = 'sqlite' | 'mysql';

/** The dialect of this Jest project (test/setup/{sqlite,mysql}.ts). */
export const DIALECT: Dialect = process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite';

/**
 * A database of the test's own for processes to use (a SQLite file in a scratch folder, or a
 * scratch MariaDB/MySQL database), with a way to look at it from the test.
 */
export interface ScratchDatabase {
  url: string;
  /** A scratch folder, e.g. for the processes' working directory. */
  folder: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  tables(): Promise<string[]>;
  drop(): Promise<void>;
}

export async function scratchDatabase(dialect: Dialect = DIALECT): Promise<ScratchDatabase> {
  const folder = mkdtempSync(join(tmpdir(), 'microblog-entrypoint-'));
  if (dialect === 'sqlite') {
    const file = join(folder, 'db.sqlite');
    const query = <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
      const db = new Database(file, { fileMustExist: true });
      try {
        return Promise.resolve(db.prepare(sql).all(...params) as T[]);
      } finally {
        db.close();
      }
    };
    return {
      url: `sqlite:${file}`,
      folder,
      query,
      tables: async () =>
        existsSync(file)
          ? (
              await query<{ name: string }>(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
              )
            ).map((row) => row.name)
          : [],
      drop: () => Promise.resolve(rmSync(folder, { recursive: true, force: true })),
    };
  }
  const scratch = await createScratchDatabase();
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const connection = await createConnection(scratch.url);
    try {
      const [rows] = await connection.query(sql, params);
      return rows as T[];
    } finally {
      await connection.end();
    }
  };
  return {
    url: scratch.url,
    folder,
    query,
    tables: async () =>
      (
        await query<{ name: string }>(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
        )
      ).map((row) => row.name),
    drop: async () => {
      rmSync(folder, { recursive: true, force: true });
      await scratch.drop();
    },
  };
}
