import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BrowserSession } from '../utils/browser-session';
import { createScratchDatabase } from '../utils/mysql';
import { AppProcess, RedisProcess } from './app-process';

/**
 * Rate limits behind a load balancer: with REDIS_URL the counters live in Redis, so two
 * processes together allow what one allows, not twice as much.
 */
describe('Scale-out: rate limits shared through Redis', () => {
  let db: { url: string; drop: () => Promise<void> };
  let redis: RedisProcess;
  let p1: AppProcess;
  let p2: AppProcess;

  beforeAll(async () => {
    db = await createScratchDatabase();
    redis = await RedisProcess.start();
    execFileSync(process.execPath, ['dist/migrate.js'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: db.url },
    });
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      DB_MIGRATIONS_RUN: 'false',
      JWT_SECRET: 'scale-out-secret-that-is-long-enough-0123456789',
      LOGIN_RATE_LIMIT: '4',
    };
    [p1, p2] = await Promise.all([AppProcess.start(env), AppProcess.start(env)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([p1?.stop(), p2?.stop()]);
    await redis?.stop();
    await db?.drop();
  });

  it('should count login attempts across both processes and both login routes', async () => {
    const formAttempt = (app: AppProcess) =>
      new BrowserSession(app.baseUrl).submit('/auth/login', '/auth/login', {
        username: 'nobody',
        password: 'wrong password',
      });
    const tokenAttempt = (app: AppProcess) =>
      fetch(`${app.baseUrl}/api/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'nobody', password: 'wrong password' }),
      });
    const statuses = [
      (await formAttempt(p1)).status,
      (await tokenAttempt(p2)).status,
      (await formAttempt(p2)).status,
      (await tokenAttempt(p1)).status,
      (await formAttempt(p1)).status,
      (await tokenAttempt(p2)).status,
    ];
    expect(statuses).toEqual([400, 401, 400, 401, 429, 429]);
  });
});
