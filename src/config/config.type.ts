import type { AppConfig } from './app.config';
import type { AuthConfig } from './auth.config';
import type { DatabaseConfig } from './database.config';

export interface AllConfigType {
  app: AppConfig;
  auth: AuthConfig;
  database: DatabaseConfig;
}
