import { Connection, createConnection } from 'mysql2/promise';
import { execFileSync } from 'node:child_process';
import { BrowserSession } from '../utils/browser-session';
import { createScratchDatabase } from '../utils/mysql';
import { AppProcess, RedisProcess } from './app-process';
import { ROOT } from '../utils/app-process';

export const PASSWORD = 'correct horse battery';

/**
 * What the app processes of a scale-out spec share: a scratch MariaDB database migrated once
 * (as docker-compose.yml does, so the processes start with DB_MIGRATIONS_RUN=false) and a
 * redis-server of the test's own.
 */
export class ScaleOutStack {
  private constructor(
    private readonly db: { url: string; drop: () => Promise<void> },
    readonly redis: RedisProcess,
  ) {}

  static async start(): Promise<ScaleOutStack> {
    const db = await createScratchDatabase();
    const redis = await RedisProcess.start();
    execFileSync(process.execPath, ['dist/migrate.js'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    return new ScaleOutStack(db, redis);
  }

  /** A production app process on this stack; `env` on top of generous rate limits. */
  startApp(env: Record<string, string> = {}): Promise<AppProcess> {
    return AppProcess.start({
      NODE_ENV: 'production',
      DATABASE_URL: this.db.url,
      REDIS_URL: this.redis.url,
      DB_MIGRATIONS_RUN: 'false',
      JWT_SECRET: 'scale-out-secret-that-is-long-enough-0123456789',
      LOGIN_RATE_LIMIT: '1000',
      REGISTER_RATE_LIMIT: '1000',
      SEND_RATE_LIMIT: '1000',
      SEND_ADDRESS_RATE_LIMIT: '1000',
      SSE_RETRY_MS: '500',
      ...env,
    });
  }

  /** A connection of the test's own to the database (to hold a transaction open). */
  connection(): Promise<Connection> {
    return createConnection(this.db.url);
  }

  async sql<T>(query: string, params: unknown[] = []): Promise<T> {
    const connection = await createConnection(this.db.url);
    try {
      const [rows] = await connection.query(query, params);
      return rows as T;
    } finally {
      await connection.end();
    }
  }

  async stop(): Promise<void> {
    await this.redis.stop();
    await this.db.drop();
  }
}

/** Registers and logs in through `app`; returns the session and its auth cookie. */
export async function signUp(app: AppProcess, username: string) {
  const session = new BrowserSession(app.baseUrl);
  await session.submit('/auth/register', '/auth/register', {
    username,
    email: `${username}@example.com`,
    password: PASSWORD,
    password2: PASSWORD,
  });
  const login = await session.login(username, PASSWORD);
  return { session, cookie: BrowserSession.authCookieOf(login) };
}
