import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { DatabaseConfig, DEFAULT_DB_POOL_SIZE } from '../config/database.config';
import { ENTITIES } from './entities';
import { MYSQL_MIGRATIONS } from './migrations/mysql';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(databaseUrl: string): Dialect {
  if (databaseUrl.startsWith('sqlite:')) {
    return 'sqlite';
  }
  if (databaseUrl.startsWith('mysql://') || databaseUrl.startsWith('mariadb://')) {
    return 'mysql';
  }
  throw new Error(`Unsupported DATABASE_URL "${databaseUrl}": use sqlite:<path> or mysql://...`);
}

/** What the options depend on: the validated `database` config namespace (or part of it). */
export type DataSourceSettings = Pick<DatabaseConfig, 'url' | 'poolSize'>;

/**
 * The one place the TypeORM options are built: the Nest module (src/app.module.ts), the
 * migration runner (src/migrate.ts) and the CLI DataSource (ormconfig.ts) all call it, so
 * they cannot drift apart. Settings come validated from src/config/database.config.ts.
 */
export function buildDataSourceOptions(
  databaseUrl: string,
  {
    poolSize = DEFAULT_DB_POOL_SIZE,
    serverFlavour = 'mysql',
  }: { poolSize?: number; serverFlavour?: 'mysql' | 'mariadb' } = {},
): DataSourceOptions {
  const common = { entities: ENTITIES, synchronize: false, logging: ['error' as const] };
  if (dialectOf(databaseUrl) === 'sqlite') {
    const database = databaseUrl.slice('sqlite:'.length);
    if (database !== ':memory:') {
      // A missing folder makes every save fail slowly and silently; create it up front.
      mkdirSync(dirname(database), { recursive: true });
    }
    return {
      ...common,
      type: 'better-sqlite3',
      database,
      enableWAL: database !== ':memory:',
      timeout: 10_000,
      migrations: SQLITE_MIGRATIONS,
    };
  }
  return {
    ...common,
    type: serverFlavour,
    url: databaseUrl,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    extra: { connectionLimit: poolSize },
    migrations: MYSQL_MIGRATIONS,
  };
}

/**
 * Like buildDataSourceOptions, but asks a MySQL-protocol server whether it is MariaDB first:
 * TypeORM must know, or it misreads MariaDB's column defaults and sees schema changes that
 * are not there. Both share the one "mysql" migration set.
 */
export async function resolveDataSourceOptions({
  url: databaseUrl,
  poolSize,
}: DataSourceSettings): Promise<DataSourceOptions> {
  if (dialectOf(databaseUrl) === 'sqlite') {
    return buildDataSourceOptions(databaseUrl);
  }
  if (databaseUrl.startsWith('mariadb://')) {
    return buildDataSourceOptions(databaseUrl, { poolSize, serverFlavour: 'mariadb' });
  }
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection(databaseUrl);
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    const version = String((rows as { version: string }[])[0]?.version ?? '');
    const serverFlavour = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
    return buildDataSourceOptions(databaseUrl, { poolSize, serverFlavour });
  } finally {
    await connection.end();
  }
}
