import type { AppConfig } from './app.config';
import type { AuthConfig } from './auth.config';
import type { DatabaseConfig } from './database.config';
import type { MailConfig } from './mail.config';

export interface AllConfigType {
  app: AppConfig;
  auth: AuthConfig;
  database: DatabaseConfig;
  mail: MailConfig;
}
