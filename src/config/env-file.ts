import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Reads `.env` from the working directory into process.env as the app's ConfigModule does:
 * variables already set win, and a missing file is no error. For the entry points that run
 * without Nest's ConfigModule (the migration runner, ormconfig.ts for the TypeORM CLI).
 */
export function loadEnvFile(path = resolve(process.cwd(), '.env')): void {
  if (existsSync(path)) {
    process.loadEnvFile(path);
  }
}
