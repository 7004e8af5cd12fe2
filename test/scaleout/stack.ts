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

/** `request`, or null when it has no answer within `ms` (Infinity: however long it takes). */
function answeredWithin<T>(ms: number, request: Promise<T>): Promise<T | null> {
  if (ms === Infinity) {
    return request;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([request, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Senders posting the send form back to back, each to `recipients` in turn, until `stop()`:
 * `accepted` holds the bodies answered 302. A send that fails, or has no answer within
 * `answerWithinMs`, is not accepted.
 */
export function sendLoad(
  senders: BrowserSession[],
  recipients: string[],
  answerWithinMs = Infinity,
) {
  const accepted: string[] = [];
  let sending = true;
  const load = senders.map(async (sender, s) => {
    for (let i = 0; sending; i++) {
      const body = `s${s}-${i}`;
      const to = recipients[(s + i) % recipients.length];
      const res = await answeredWithin(
        answerWithinMs,
        sender.submit(`/send_message/${to}`, `/send_message/${to}`, { message: body }),
      ).catch(() => null);
      if (res?.status === 302) {
        accepted.push(body);
      }
    }
  });
  return {
    accepted,
    stop: async () => {
      sending = false;
      await Promise.all(load);
    },
  };
}
