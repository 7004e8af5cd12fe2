// DataSource for the TypeORM CLI (migration:generate, migration:run, ...).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_URL } from './src/config/database.config';
import { resolveDataSourceOptions } from './src/database/data-source-options';

export default resolveDataSourceOptions(process.env.DATABASE_URL || DEFAULT_DATABASE_URL).then(
  (options) => new DataSource(options),
);
