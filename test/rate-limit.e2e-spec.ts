import { createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { createTestApp, TestApp } from './utils/test-app';

describe('Login rate limit (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ LOGIN_RATE_LIMIT: '3' });
    await createUser(t.app, 'john');
  });

  afterAll(() => t.close());

  it('should answer 429 with Retry-After once the attempts per minute are used up', async () => {
    const browser = new BrowserSession(t.app);
    const attempt = (password: string) =>
      browser.submit('/auth/login', '/auth/login', { username: 'john', password });
    for (let i = 0; i < 3; i++) {
      expect((await attempt('wrong password')).status).toBe(400);
    }
    const blocked = await attempt(DEFAULT_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.text).toContain('Too many attempts. Please wait a minute and try again.');
    expect(blocked.headers['set-cookie'] ?? []).not.toEqual(
      expect.arrayContaining([expect.stringContaining('mb_token=')]),
    );
    // Pages other than the login form are not limited.
    expect((await browser.get('/auth/register')).status).toBe(200);
  });
});
