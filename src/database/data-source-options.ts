import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MYSQL_MIGRATIONS } from './migrations/mysql';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(databaseUrl: string): Dialect {
  if (databaseUrl.startsWith('sqlite:')) {
    return 'sqlite';
  }
  if (databaseUrl.startsWith('mysql://')) {
    return 'mysql';
  }
  throw new Error(`Unsupported DATABASE_URL "${databaseUrl}": use sqlite:<path> or mysql://...`);
}

/**
 * The one place the TypeORM options are built: the Nest module (src/app.module.ts) and the
 * CLI DataSource (ormconfig.ts) both call it, so they cannot drift apart.
 */
export function buildDataSourceOptions(databaseUrl: string): DataSourceOptions {
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
    type: 'mysql',
    url: databaseUrl,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    extra: { connectionLimit: Number(process.env.DB_POOL_SIZE) || 10 },
    migrations: MYSQL_MIGRATIONS,
  };
}
