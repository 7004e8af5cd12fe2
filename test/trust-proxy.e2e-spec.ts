import { createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession, csrfTokenOf } from './utils/browser-session';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * Behind a reverse proxy (nginx in docker-compose.yml, TRUST_PROXY=1): the client address and
 * scheme come from X-Forwarded-For / X-Forwarded-Proto, so each client gets its own login
 * rate-limit bucket and an HTTPS client gets a Secure auth cookie.
 */
describe.each(['1', 'loopback, 10.0.0.0/8'])('TRUST_PROXY=%s (e2e)', (trustProxy) => {
  let t: TestApp;
  const saved = {
    TRUST_PROXY: process.env.TRUST_PROXY,
    LOGIN_RATE_LIMIT: process.env.LOGIN_RATE_LIMIT,
  };

  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: trustProxy, LOGIN_RATE_LIMIT: '2' });
    await createUser(t.app, 'john');
  });

  afterAll(async () => {
    await t.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  });

  /** A login form post from a browser the proxy sees at `clientAddress`. */
  const attempt = async (
    clientAddress: string,
    password: string,
    headers: Record<string, string> = {},
  ) => {
    const browser = new BrowserSession(t.app);
    const form = await browser.get('/auth/login').set('X-Forwarded-For', clientAddress);
    return browser.agent
      .post('/auth/login')
      .set('Accept', 'text/html')
      .set('X-Forwarded-For', clientAddress)
      .set(headers)
      .type('form')
      .send({ csrf_token: csrfTokenOf(form.text), username: 'john', password });
  };

  it('should give each forwarded client address its own login rate-limit bucket', async () => {
    expect((await attempt('203.0.113.1', 'wrong password')).status).toBe(400);
    expect((await attempt('203.0.113.1', 'wrong password')).status).toBe(400);
    // A third attempt from that address, in a fresh browser: limited by address, not cookie.
    expect((await attempt('203.0.113.1', DEFAULT_PASSWORD)).status).toBe(429);

    // Another client behind the same proxy is not.
    expect((await attempt('203.0.113.2', 'wrong password')).status).toBe(400);
    expect((await attempt('203.0.113.2', DEFAULT_PASSWORD)).status).toBe(302);
    expect((await attempt('203.0.113.2', DEFAULT_PASSWORD)).status).toBe(429);
  });

  it('should see HTTPS from X-Forwarded-Proto and mark the auth cookie Secure', async () => {
    const authCookie = (res: { headers: Record<string, unknown> }) =>
      ((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) =>
        c.startsWith('mb_token='),
      );

    const https = await attempt('198.51.100.7', DEFAULT_PASSWORD, { 'X-Forwarded-Proto': 'https' });
    expect(https.status).toBe(302);
    expect(authCookie(https)).toMatch(/;\s*Secure/i);

    const http = await attempt('198.51.100.8', DEFAULT_PASSWORD, { 'X-Forwarded-Proto': 'http' });
    expect(http.status).toBe(302);
    expect(authCookie(http)).toBeDefined();
    expect(authCookie(http)).not.toMatch(/;\s*Secure/i);
  });
});
