import { BrowserSession } from '../utils/browser-session';
import { AppProcess } from './app-process';
import { ScaleOutStack } from './stack';

/**
 * Rate limits behind a load balancer: with REDIS_URL the counters live in Redis, so two
 * processes together allow what one allows, not twice as much.
 */
describe('Scale-out: rate limits shared through Redis', () => {
  let stack: ScaleOutStack;
  let p1: AppProcess;
  let p2: AppProcess;

  beforeAll(async () => {
    stack = await ScaleOutStack.start();
    [p1, p2] = await Promise.all([
      stack.startApp({ LOGIN_RATE_LIMIT: '4' }),
      stack.startApp({ LOGIN_RATE_LIMIT: '4' }),
    ]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([p1?.stop(), p2?.stop()]);
    await stack?.stop();
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
