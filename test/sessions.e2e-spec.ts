import request from 'supertest';
import { Session } from '../src/auth/session.entity';
import { User } from '../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

describe('Sessions: logout, log out everywhere, disabled accounts (e2e)', () => {
  let t: TestApp;
  let bob: User;
  const open: SseClient[] = [];

  /** A browser of bob's: its own login, so its own session. */
  const bobBrowser = async () => {
    const browser = new BrowserSession(t.app);
    const login = await browser.login('bob', DEFAULT_PASSWORD);
    return { browser, cookie: BrowserSession.authCookieOf(login) };
  };
  const streamWith = async (cookie: string) => {
    const client = await SseClient.connect(t.baseUrl, '/notifications/stream', { Cookie: cookie });
    open.push(client);
    return client;
  };
  const tokenOf = (cookie: string) => cookie.split('=')[1];

  /** Every kind of route a token reaches: a page, the JSON feed, the stream, the API. */
  const statusesWith = async (cookie: string) => {
    const server = t.app.getHttpServer();
    const page = await request(server).get('/edit_profile').set('Cookie', cookie);
    const feed = await request(server).get('/notifications?since=0').set('Cookie', cookie);
    const stream = await request(server)
      .get('/notifications/stream')
      .set('Cookie', cookie)
      .timeout(2000)
      .catch((error: { response?: { status: number } }) => error.response ?? { status: 200 });
    const api = await request(server)
      .get('/api/admin/stats')
      .set('Authorization', `Bearer ${tokenOf(cookie)}`);
    return { page: page.status, feed: feed.status, stream: stream.status, api: api.status };
  };
  const REFUSED = { page: 302, feed: 401, stream: 401, api: 401 };
  // bob is no admin: a token that still works gets 403 from the admin API, not 401.
  const ACCEPTED = { page: 200, feed: 200, stream: 200, api: 403 };

  beforeAll(async () => {
    t = await createTestApp({ SSE_HEARTBEAT_MS: '200' }, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    bob = await createUser(t.app, 'bob');
  });

  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    await clearDatabase(t.dataSource);
  });

  it('should store one session per login and name it in the token', async () => {
    const first = await bobBrowser();
    const second = await bobBrowser();
    const sessions = await t.dataSource.getRepository(Session).findBy({ userId: bob.id });
    expect(sessions).toHaveLength(2);
    const sid = (cookie: string) =>
      (
        JSON.parse(Buffer.from(tokenOf(cookie).split('.')[1], 'base64url').toString()) as {
          sid: string;
        }
      ).sid;
    expect(sessions.map((s) => s.id).sort()).toEqual(
      [sid(first.cookie), sid(second.cookie)].sort(),
    );
    expect(await statusesWith(first.cookie)).toEqual(ACCEPTED);
  });

  it("should refuse a logged-out token everywhere and end that browser's stream at once, other devices unaffected", async () => {
    const laptop = await bobBrowser();
    const phone = await bobBrowser();
    const laptopStream = await streamWith(laptop.cookie);
    const phoneStream = await streamWith(phone.cookie);
    await laptopStream.waitFor((s) => s.frames.length >= 1);
    await phoneStream.waitFor((s) => s.frames.length >= 1);

    const logout = await laptop.browser.submit('/edit_profile', '/auth/logout', {});
    expect(logout.status).toBe(302);
    await laptopStream.waitFor((s) => s.ended, 1000);
    expect(laptopStream.frames.at(-1)).toMatchObject({ event: 'session_ended' });

    // The cookie a copy of that browser kept (or an attacker copied) is dead everywhere.
    expect(await statusesWith(laptop.cookie)).toEqual(REFUSED);
    expect(await statusesWith(phone.cookie)).toEqual(ACCEPTED);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(phoneStream.ended).toBe(false);
    expect(phoneStream.frames.some((f) => f.comment !== undefined)).toBe(true);
  });

  it('should end every session and stream of the user on "log out everywhere"', async () => {
    const laptop = await bobBrowser();
    const phone = await bobBrowser();
    const phoneStream = await streamWith(phone.cookie);
    await phoneStream.waitFor((s) => s.frames.length >= 1);

    const page = await laptop.browser.get('/edit_profile');
    expect(page.text).toContain('action="/auth/logout_everywhere"');
    const res = await laptop.browser.submit('/edit_profile', '/auth/logout_everywhere', {});
    expect(res.status).toBe(302);
    await phoneStream.waitFor((s) => s.ended, 1000);
    expect(await statusesWith(laptop.cookie)).toEqual(REFUSED);
    expect(await statusesWith(phone.cookie)).toEqual(REFUSED);
    expect(await t.dataSource.getRepository(Session).countBy({ userId: bob.id })).toBe(0);
    // Logging in again starts afresh.
    expect(await statusesWith((await bobBrowser()).cookie)).toEqual(ACCEPTED);
  });

  it("should end an API token's session on POST /api/auth/logout", async () => {
    const server = t.app.getHttpServer();
    const token = await request(server)
      .post('/api/auth/token')
      .send({ username: 'bob', password: DEFAULT_PASSWORD });
    const bearer = `Bearer ${(token.body as { access_token: string }).access_token}`;
    const { cookie } = await bobBrowser();
    expect((await request(server).get('/notifications').set('Authorization', bearer)).status).toBe(
      200,
    );
    expect(
      (await request(server).post('/api/auth/logout').set('Authorization', bearer)).status,
    ).toBe(204);
    expect((await request(server).get('/notifications').set('Authorization', bearer)).status).toBe(
      401,
    );
    expect(
      (await request(server).post('/api/auth/logout').set('Authorization', bearer)).status,
    ).toBe(401);
    // The cookie alone does not reach it: no logout through another site's form.
    expect((await request(server).post('/api/auth/logout').set('Cookie', cookie)).status).toBe(401);
    expect(await statusesWith(cookie)).toEqual(ACCEPTED);
  });

  it('should not let an anonymous visitor post "log out everywhere"', async () => {
    const anonymous = new BrowserSession(t.app);
    const res = await anonymous.submit('/auth/login', '/auth/logout_everywhere', {});
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/auth\/login/);
  });

  it('should refuse a token whose user was disabled', async () => {
    const { cookie } = await bobBrowser();
    await t.dataSource.getRepository(User).update(bob.id, { disabled: true });
    expect(await statusesWith(cookie)).toEqual(REFUSED);
  });

  it('should refuse a token signed before sessions existed (no session id)', async () => {
    const { JwtService } = await import('@nestjs/jwt');
    const legacy = t.app.get(JwtService).sign({ sub: bob.id });
    expect(await statusesWith(`mb_token=${legacy}`)).toEqual(REFUSED);
  });

  it('should prune expired sessions of a user when they log in', async () => {
    const sessions = t.dataSource.getRepository(Session);
    await sessions.insert({
      id: 'expired-session-id',
      userId: bob.id,
      createdAt: new Date(Date.now() - 90_000_000),
      expiresAt: new Date(Date.now() - 1000),
    });
    await bobBrowser();
    expect((await sessions.findBy({ userId: bob.id })).map((s) => s.id)).not.toContain(
      'expired-session-id',
    );
  });
});
