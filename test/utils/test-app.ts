import { Test } from '@nestjs/testing';
import { NestExpressApplication } from '@nestjs/platform-express';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { createScratchDatabase } from './mysql';

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<port> once listen() was asked for; '' otherwise. */
  baseUrl: string;
  dataSource: DataSource;
  dialect: 'sqlite' | 'mysql';
  close: () => Promise<void>;
}

const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256-0123456789',
  LOGIN_RATE_LIMIT: '1000',
  REGISTER_RATE_LIMIT: '1000',
  SEND_RATE_LIMIT: '1000',
  SEND_ADDRESS_RATE_LIMIT: '1000',
  PASSWORD_RESET_RATE_LIMIT: '1000',
  PASSWORD_RESET_ACCOUNT_RATE_LIMIT: '1000',
  EMAIL_CHANGE_RATE_LIMIT: '1000',
  CONFIRMATION_RESEND_RATE_LIMIT: '1000',
  API_DOCS: '',
  POSTS_PER_PAGE: '25',
  // Registration sends a confirmation: without SMTP_URL it becomes a file, kept out of data/.
  MAIL_DIR: join(tmpdir(), 'microblog-test-mail'),
};

/**
 * The real AppModule, set up by the same configureApp as main.ts, on a fresh database built by
 * the real migrations: in-memory SQLite, or a scratch MySQL database when TEST_DB=mysql.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  options: {
    listen?: boolean;
    /** Rewrites the database URL the app gets (e.g. through a proxy the test can cut). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<TestApp> {
  const dialect = process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite';
  const scratch = dialect === 'mysql' ? await createScratchDatabase() : null;
  const url = scratch ? scratch.url : 'sqlite::memory:';
  Object.assign(process.env, TEST_ENV, env, {
    DATABASE_URL: options.databaseUrl ? options.databaseUrl(url) : url,
  });

  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    forceCloseConnections: true,
    logger: ['error', 'warn'],
  });
  await configureApp(app);
  await app.init();
  let baseUrl = '';
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
  }
  return {
    app,
    baseUrl,
    dataSource: app.get(DataSource),
    dialect,
    close: async () => {
      await app.close();
      await scratch?.drop();
    },
  };
}
