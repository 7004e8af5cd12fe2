import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` from the working directory into process.env as the app's ConfigModule does:
 * variables already set win, and a missing file is no error. For the entry points that run
 * without Nest's ConfigModule (the migration runner, ormconfig.ts for the TypeORM CLI).
 */
export function loadEnvFile(path = resolve(process.cwd(), '.env')): void {
  if (!existsSync(path)) {
    return;
  }
  for (const [name, value] of Object.entries(parseEnv(readFileSync(path, 'utf8')))) {
    if (!(name in process.env) && value !== undefined) {
      process.env[name] = value;
    }
  }
}
