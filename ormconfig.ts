// DataSource for the TypeORM CLI (migration:generate, migration:run, ...). Reads DATABASE_URL
// and DB_POOL_SIZE like the app: environment first, then `.env` in the working directory.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { readDatabaseConfig } from './src/config/database.config';
import { loadEnvFile } from './src/config/env-file';
import { resolveDataSourceOptions } from './src/database/data-source-options';

loadEnvFile();

export default resolveDataSourceOptions(readDatabaseConfig(process.env)).then(
  (options) => new DataSource(options),
);
