import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_URL } from './config/database.config';
import { resolveDataSourceOptions } from './database/data-source-options';

/**
 * `node dist/migrate.js`: applies pending migrations and exits. For deployments that run
 * several app processes with DB_MIGRATIONS_RUN=false and migrate once before starting them.
 */
async function migrate(): Promise<void> {
  const logger = new Logger('migrate');
  const dataSource = new DataSource(
    await resolveDataSourceOptions(process.env.DATABASE_URL || DEFAULT_DATABASE_URL),
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

migrate().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
