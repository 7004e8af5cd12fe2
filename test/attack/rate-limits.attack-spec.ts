import request from 'supertest';
import { Message } from '../../src/messages/message.entity';
import { User } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { BrowserSession } from '../utils/browser-session';
import { createTestApp, TestApp } from '../utils/test-app';

/** Findings 6 and 7: shared login buckets, a registration limit, sends limited per user. */
describe('Attack: rate limits', () => {
  let t: TestApp;

  // A fresh app per test: fresh buckets.
  beforeEach(async () => {
    t = await createTestApp({
      LOGIN_RATE_LIMIT: '4',
      REGISTER_RATE_LIMIT: '3',
      SEND_RATE_LIMIT: '2',
      SEND_ADDRESS_RATE_LIMIT: '5',
    });
  });

  afterEach(() => t.close());

  const http = () => request(t.app.getHttpServer());
  const formLogin = (username: string) =>
    new BrowserSession(t.app).submit('/auth/login', '/auth/login', {
      username,
      password: 'wrong password',
    });
  const tokenLogin = (username: string, headers: Record<string, string> = {}) =>
    http().post('/api/auth/token').set(headers).send({ username, password: 'wrong password' });

  it('should count the login form and the token endpoint in one bucket per address', async () => {
    await createUser(t.app, 'john');
    const statuses = [
      (await formLogin('john')).status,
      (await tokenLogin('john')).status,
      (await formLogin('JOHN')).status,
      (await tokenLogin('nobody')).status,
      (await formLogin('john')).status,
      (await tokenLogin('john')).status,
    ];
    expect(statuses).toEqual([400, 401, 400, 401, 429, 429]);
  });

  it('should not reset the bucket for forwarding headers it does not trust', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const res = await tokenLogin('john', {
        'X-Forwarded-For': `10.0.0.${i}`,
        'X-Real-IP': `10.0.1.${i}`,
        Forwarded: `for=10.0.2.${i}`,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('should limit registrations per address, storing nothing once refused', async () => {
    const register = (n: number) =>
      new BrowserSession(t.app).submit('/auth/register', '/auth/register', {
        username: `farm${n}`,
        email: `farm${n}@example.com`,
        password: DEFAULT_PASSWORD,
        password2: DEFAULT_PASSWORD,
      });
    const statuses = [];
    for (let n = 0; n < 5; n++) {
      statuses.push((await register(n)).status);
    }
    expect(statuses).toEqual([302, 302, 302, 429, 429]);
    expect(await t.dataSource.getRepository(User).count()).toBe(3);
  });

  it('should limit sends per user, keep the refused draft, and show the reason once', async () => {
    const alice = new BrowserSession(t.app);
    const bob = new BrowserSession(t.app);
    await createUser(t.app, 'alice');
    await createUser(t.app, 'bob');
    await createUser(t.app, 'carol');
    await alice.login('alice', DEFAULT_PASSWORD);
    await bob.login('bob', DEFAULT_PASSWORD);
    const send = (who: BrowserSession, message: string) =>
      who.submit('/send_message/carol', '/send_message/carol', { message });

    expect((await send(alice, 'one')).status).toBe(302);
    expect((await send(alice, 'two')).status).toBe(302);
    const refused = await send(alice, 'my <carefully> typed draft');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.text).toContain('my &lt;carefully&gt; typed draft</textarea>');
    expect(refused.text.split('Too many attempts').length - 1).toBe(1);
    expect(refused.text).toContain('action="/send_message/carol"');

    // Someone else behind the same address has a bucket of their own...
    expect((await send(bob, 'three')).status).toBe(302);
    expect((await send(bob, 'four')).status).toBe(302);
    // ...until the looser per-address limit (5 a minute) stops an account farm.
    const carol = new BrowserSession(t.app);
    await carol.login('carol', DEFAULT_PASSWORD);
    const farm = await carol.submit('/send_message/alice', '/send_message/alice', {
      message: 'five',
    });
    expect(farm.status).toBe(302);
    const sixth = await carol.submit('/send_message/alice', '/send_message/alice', {
      message: 'six',
    });
    expect(sixth.status).toBe(429);
    const bodies = (await t.dataSource.getRepository(Message).find()).map((m) => m.body).sort();
    expect(bodies).toEqual(['five', 'four', 'one', 'three', 'two']);
  });
});
