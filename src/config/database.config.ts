import { registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';
import { validateConfig } from './validate-config';

export const DEFAULT_DATABASE_URL = 'sqlite:data/microblog.sqlite';

class DatabaseEnv {
  @IsOptional()
  @Matches(/^(sqlite:.+|(mysql|mariadb):\/\/.+)$/, {
    message: 'DATABASE_URL must look like sqlite:<path> or mysql://user:pass@host:port/db',
  })
  DATABASE_URL?: string;
}

export interface DatabaseConfig {
  url: string;
}

export default registerAs('database', (): DatabaseConfig => {
  const env = validateConfig(process.env, DatabaseEnv);
  return { url: env.DATABASE_URL || DEFAULT_DATABASE_URL };
});
