import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { validateConfig } from './validate-config';

export const DEFAULT_DATABASE_URL = 'sqlite:data/microblog.sqlite';
export const DEFAULT_DB_POOL_SIZE = 10;

class DatabaseEnv {
  @IsOptional()
  @Matches(/^(sqlite:.+|(mysql|mariadb):\/\/.+)$/, {
    message: 'DATABASE_URL must look like sqlite:<path> or mysql://user:pass@host:port/db',
  })
  DATABASE_URL?: string;

  @IsOptional()
  @IsInt({ message: 'DB_POOL_SIZE must be a whole number from 1 to 1000' })
  @Min(1, { message: 'DB_POOL_SIZE must be a whole number from 1 to 1000' })
  @Max(1000, { message: 'DB_POOL_SIZE must be a whole number from 1 to 1000' })
  DB_POOL_SIZE?: number;

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'DB_MIGRATIONS_RUN must be true or false' })
  DB_MIGRATIONS_RUN?: string;
}

export interface DatabaseConfig {
  url: string;
  /** MySQL connections per process. */
  poolSize: number;
  /** Apply pending migrations at start-up; off where they run once before several processes. */
  migrationsRun: boolean;
}

/** The `database` namespace from environment variables; throws naming every invalid one. */
export function readDatabaseConfig(variables: NodeJS.ProcessEnv): DatabaseConfig {
  const env = validateConfig(variables, DatabaseEnv);
  return {
    url: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    poolSize: env.DB_POOL_SIZE ?? DEFAULT_DB_POOL_SIZE,
    migrationsRun: env.DB_MIGRATIONS_RUN !== 'false',
  };
}

export default registerAs('database', (): DatabaseConfig => readDatabaseConfig(process.env));
