import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readDatabaseConfig } from './config/database.config';
import { loadEnvFile } from './config/env-file';
import { ConfigError } from './config/validate-config';
import { resolveDataSourceOptions } from './database/data-source-options';

/**
 * `node dist/migrate.js`: applies pending migrations and exits. For deployments that run
 * several app processes with DB_MIGRATIONS_RUN=false and migrate once before starting them.
 * Reads DATABASE_URL and DB_POOL_SIZE like the app: environment first, then `.env`.
 */
async function migrate(logger: Logger): Promise<void> {
  loadEnvFile();
  const dataSource = new DataSource(
    await resolveDataSourceOptions(readDatabaseConfig(process.env)),
  );
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    logger.log(
      applied.length > 0
        ? `Applied ${applied.map((m) => m.name).join(', ')}`
        : 'The database is up to date',
    );
  } finally {
    await dataSource.destroy();
  }
}

const logger = new Logger('migrate');
migrate(logger).catch((error: unknown) => {
  // An invalid variable is the operator's to fix: its message says which and why; no stack.
  logger.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
