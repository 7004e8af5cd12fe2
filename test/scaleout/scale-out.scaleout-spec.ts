import request from 'supertest';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { SseClient } from '../utils/sse-client';
import { AppProcess, RedisProcess } from './app-process';
import { PASSWORD, ScaleOutStack, signUp } from './stack';

/**
 * Two production app processes on one MariaDB, fanning out through Redis: what a user
 * connected to one process sees of what happens on the other, and what survives failures.
 */
describe('Scale-out: two processes, MariaDB and Redis', () => {
  let stack: ScaleOutStack;
  let redis: RedisProcess;
  let p1: AppProcess;
  let p2: AppProcess;
  const open: SseClient[] = [];
  const sql = <T>(query: string, params: unknown[] = []) => stack.sql<T>(query, params);

  const stream = async (app: AppProcess, cookie: string, lastEventId?: string) => {
    const client = await SseClient.openStream(app.baseUrl, cookie, lastEventId);
    open.push(client);
    return client;
  };

  /** The badge as the database has it: unread over the user's conversations, blocked left out. */
  const unreadInDatabase = async (username: string) => {
    const [row] = await sql<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM conversations c
       JOIN users u ON u.id = c.user_id
       JOIN messages m ON m.recipient_id = c.user_id AND m.sender_id = c.peer_id
         AND m.timestamp > c.last_read_at
       WHERE u.username = ? AND NOT EXISTS (
         SELECT 1 FROM blocks b WHERE b.blocker_id = c.user_id AND b.blocked_id = c.peer_id)`,
      [username],
    );
    return Number(row.n);
  };

  const lastCount = (client: SseClient) =>
    client.events.filter((e) => e.name === 'unread_message_count').at(-1)?.data;

  let alice: { session: BrowserSession; cookie: string };
  let bob: { session: BrowserSession; cookie: string };

  beforeAll(async () => {
    stack = await ScaleOutStack.start();
    redis = stack.redis;
    p1 = await stack.startApp();
    p2 = await stack.startApp();
    alice = await signUp(p1, 'alice');
    bob = await signUp(p2, 'bob');
  }, 90_000);

  afterAll(async () => {
    open.forEach((c) => c.close());
    await Promise.all([p1?.stop(), p2?.stop()]);
    await stack?.stop();
  });

  afterEach(() => open.splice(0).forEach((c) => c.close()));

  const send = (from: BrowserSession, to: string, message: string) =>
    from.submit(`/send_message/${to}`, `/send_message/${to}`, { message });

  it("should deliver a message sent through process 1 to B's stream on process 2 within 1 s", async () => {
    const b = await stream(p2, bob.cookie);
    const before = (lastCount(b) as number | undefined) ?? 0;
    const sentAt = Date.now();
    expect((await send(alice.session, 'bob', 'across processes')).status).toBe(302);
    await b.waitFor((c) => lastCount(c) === before + 1, 1000);
    expect(Date.now() - sentAt).toBeLessThan(1000);
  });

  it('should deliver an announcement to "all" to streams on both processes', async () => {
    await sql("UPDATE users SET role = 'admin' WHERE username = 'alice'");
    const token = await request(p1.baseUrl)
      .post('/api/auth/token')
      .send({ username: 'alice', password: PASSWORD });
    const streams = [await stream(p1, alice.cookie), await stream(p2, bob.cookie)];
    const res = await request(p1.baseUrl)
      .post('/api/admin/notifications')
      .set('Authorization', `Bearer ${(token.body as { access_token: string }).access_token}`)
      .send({ user: 'all', name: 'announcement', data: { message: 'hello everyone' } });
    expect(res.status).toBe(201);
    for (const client of streams) {
      await client.waitFor((c) =>
        c.events.some(
          (e) =>
            e.name === 'announcement' &&
            (e.data as { message: string }).message === 'hello everyone',
        ),
      );
    }
  });

  it('should keep the true count when 50 sends to B are spread over both processes', async () => {
    await bob.session.get('/messages'); // count back to 0
    const senders: { session: BrowserSession; cookie: string; token: string }[] = [];
    for (const [i, app] of [p1, p2, p1, p2, p1].entries()) {
      const sender = await signUp(app, `sender${i}`);
      const token = csrfTokenOf((await sender.session.get('/send_message/bob')).text);
      senders.push({ ...sender, token });
    }
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        senders[i % 5].session.agent
          .post('/send_message/bob')
          .type('form')
          .send({ csrf_token: senders[i % 5].token, message: `parallel ${i}` }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(302));
    expect(await unreadInDatabase('bob')).toBe(50);
    const notifications = await bob.session.agent
      .get('/notifications?since=0')
      .set('Accept', 'application/json');
    const count = (notifications.body as { name: string; data: unknown }[]).find(
      (n) => n.name === 'unread_message_count',
    );
    expect(count?.data).toBe(50);
  });

  it('should survive a Redis restart: events flow again and B ends with the true count', async () => {
    await bob.session.get('/messages');
    const b = await stream(p2, bob.cookie);
    await send(alice.session, 'bob', 'before the outage');
    await b.waitFor((c) => lastCount(c) === 1);

    await redis.stop();
    await send(alice.session, 'bob', 'during the outage 1');
    await send(alice.session, 'bob', 'during the outage 2');
    await redis.restart();
    // Caught up from the database once process 2 is back on Redis.
    await b.waitFor((c) => lastCount(c) === 3, 10_000);

    await send(alice.session, 'bob', 'after the outage');
    await b.waitFor((c) => lastCount(c) === 4, 2000);
    expect(lastCount(b)).toBe(await unreadInDatabase('bob'));
    expect(p2.log).toContain('Lost the Redis connection');
    expect(p2.log).toContain('Redis is back');
  });

  it('should let B resume on process 1 with Last-Event-ID after process 2 is killed', async () => {
    await bob.session.get('/messages');
    const b = await stream(p2, bob.cookie);
    await send(alice.session, 'bob', 'one');
    await b.waitFor((c) => lastCount(c) === 1);
    const lastSeen = b.lastEventId;

    await p2.stop('SIGKILL');
    await send(alice.session, 'bob', 'two');
    await send(alice.session, 'bob', 'three');

    // The load balancer sends the reconnecting browser to the process still alive.
    const resumed = await stream(p1, bob.cookie, lastSeen);
    await resumed.waitFor((c) => lastCount(c) === 3);
    expect(resumed.events.every((e) => e.seq > Number(lastSeen.split(':')[0]))).toBe(true);
    expect(await unreadInDatabase('bob')).toBe(3);
  });
});
