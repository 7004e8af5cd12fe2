// DataSource for the TypeORM CLI (migration:generate, migration:run, ...).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_URL } from './src/config/database.config';
import { buildDataSourceOptions } from './src/database/data-source-options';

export default new DataSource(
  buildDataSourceOptions(process.env.DATABASE_URL || DEFAULT_DATABASE_URL),
);
