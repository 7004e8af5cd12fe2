import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AUTH_COOKIE } from '../src/auth/auth-cookie';
import { Message } from '../src/messages/message.entity';
import { IsNull } from 'typeorm';
import { Event } from '../src/notifications/event.entity';
import { Notification } from '../src/notifications/notification.entity';
import { NotificationsService } from '../src/notifications/notifications.service';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Notification stream (e2e)', () => {
  let t: TestApp;
  let alice: BrowserSession;
  let bob: User;
  let carol: User;
  const open: SseClient[] = [];

  const connect = async (user: User, headers: Record<string, string> = {}, query = '') => {
    const client = await SseClient.connect(t.baseUrl, `/notifications/stream${query}`, {
      Cookie: await authCookieFor(t.app, user),
      ...headers,
    });
    open.push(client);
    return client;
  };

  const sendToBob = (message: string) =>
    alice.submit('/send_message/bob', '/send_message/bob', { message });

  /** The badge's events: a send also notifies new_message to both sides. */
  const counts = (client: SseClient) =>
    client.events.filter((e) => e.name === 'unread_message_count');
  const newMessages = (client: SseClient) => client.events.filter((e) => e.name === 'new_message');

  const openStreams = async () =>
    ((await request(t.app.getHttpServer()).get('/health')).body as { openStreams: number })
      .openStreams;

  beforeAll(async () => {
    t = await createTestApp({ SSE_HEARTBEAT_MS: '150', SSE_RETRY_MS: '2500' }, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    carol = await createUser(t.app, 'carol');
    alice = new BrowserSession(t.app);
    await alice.login('alice', DEFAULT_PASSWORD);
  });

  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    await clearDatabase(t.dataSource);
  });

  it('should stream with SSE headers, a retry hint, and each notification as id + JSON data', async () => {
    const stream = await connect(bob);
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream');
    expect(stream.response.headers['cache-control']).toContain('no-cache');
    expect(stream.response.headers['x-accel-buffering']).toBe('no');
    expect(stream.response.headers['content-encoding']).toBeUndefined();
    await stream.waitFor((s) => s.frames.some((f) => f.retry === '2500'));
    expect(stream.frames[0]).toEqual({ id: '', retry: '2500' });

    await sendToBob('hello');
    await stream.waitFor((s) => s.events.length === 2);
    const [event, announced] = stream.events;
    expect(event).toEqual({
      id: '1:0',
      seq: 1,
      announcement: 0,
      name: 'unread_message_count',
      data: 1,
      timestamp: expect.any(Number),
    });
    const hello = await t.dataSource.getRepository(Message).findOneByOrFail({ body: 'hello' });
    expect(announced).toEqual({
      id: '2:0',
      seq: 2,
      announcement: 0,
      name: 'new_message',
      data: { id: hello.id, peer: 'alice' },
      timestamp: expect.any(Number),
    });
    const notifications = await request(t.app.getHttpServer())
      .get('/notifications?since=0')
      .set('Cookie', await authCookieFor(t.app, bob));
    // The tutorial's feed serves state: the count, not the history.
    expect(notifications.body).toEqual([
      { name: 'unread_message_count', data: 1, timestamp: expect.any(Number) },
    ]);
    const dataFrame = stream.frames.find((f) => f.data !== undefined);
    expect(Object.keys(dataFrame ?? {}).sort()).toEqual(['data', 'id']);

    await sendToBob('again');
    await stream.waitFor((s) => counts(s).length === 2);
    expect(counts(stream)[1].data).toBe(2);
    expect(counts(stream)[1].seq).toBe(3);
  });

  it('should send nothing for a change that was rolled back', async () => {
    const stream = await connect(bob);
    await stream.waitFor((s) => s.frames.length >= 1);
    // The notification is stored (and its publication queued), then the transaction fails.
    const notifications = t.app.get(NotificationsService);
    const realRecord = notifications.record.bind(notifications);
    const fail = jest.spyOn(notifications, 'record').mockImplementationOnce(async (...args) => {
      await realRecord(...args);
      throw new Error('deadlock');
    });
    expect((await sendToBob('rolled back')).status).toBe(500);
    fail.mockRestore();
    await sendToBob('committed');
    await stream.waitFor((s) => s.events.length >= 2);
    const stored = await t.dataSource.getRepository(Message).find();
    expect(stored.map((m) => m.body)).toEqual(['committed']);
    const [committed] = stored;
    // The rolled-back events took no number: the committed ones are 1 and 2.
    expect(stream.events.map((e) => e.id)).toEqual(['1:0', '2:0']);
    expect(stream.events.map((e) => [e.name, e.data])).toEqual([
      ['unread_message_count', 1],
      ['new_message', { id: committed.id, peer: 'alice' }],
    ]);
  });

  it('should answer anonymous callers 401 in JSON', async () => {
    const res = await request(t.app.getHttpServer()).get('/notifications/stream');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('should refuse forged, expired and unsigned tokens, and a disabled user, with 401', async () => {
    const server = t.app.getHttpServer();
    const secret = 'not-the-app-secret-but-just-as-long-0123456789';
    const expired = t.app
      .get(JwtService)
      .sign({ sub: bob.id, exp: Math.floor(Date.now() / 1000) - 60 });
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: bob.id })}.`;
    for (const token of [jwt.sign({ sub: bob.id }, secret), expired, unsigned, 'garbage']) {
      const res = await request(server)
        .get('/notifications/stream')
        .set('Cookie', `${AUTH_COOKIE}=${token}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    await t.dataSource.getRepository(User).update(bob.id, { disabled: true });
    const disabled = await request(server)
      .get('/notifications/stream')
      .set('Cookie', await authCookieFor(t.app, bob));
    expect(disabled.status).toBe(401);
  });

  it('should accept the token as a bearer header, and leave other methods to the app', async () => {
    const token = (await authCookieFor(t.app, bob)).split('=')[1];
    const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Authorization: `Bearer ${token}`,
    });
    open.push(stream);
    expect(stream.response.statusCode).toBe(200);
    await sendToBob('via bearer');
    await stream.waitFor((s) => counts(s).length === 1);
    const post = await request(t.app.getHttpServer())
      .post('/notifications/stream')
      .set('Accept', 'application/json');
    expect(post.status).not.toBe(200);
    expect(post.status).toBeLessThan(500);
  });

  it('should take the bearer scheme in any case, like every other route', async () => {
    const token = (await authCookieFor(t.app, bob)).split('=')[1];
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
        Authorization: `${scheme} ${token}`,
      });
      open.push(stream);
      const feed = await request(t.app.getHttpServer())
        .get('/notifications')
        .set('Authorization', `${scheme} ${token}`);
      expect([scheme, stream.response.statusCode, feed.status]).toEqual([scheme, 200, 200]);
    }
  });

  it('should refuse with 409 a page that expects another user (?uid=), on the stream and the feed', async () => {
    const cookie = await authCookieFor(t.app, carol);
    const server = t.app.getHttpServer();
    const stream = await request(server)
      .get(`/notifications/stream?uid=${bob.id}`)
      .set('Cookie', cookie);
    expect(stream.status).toBe(409);
    expect(stream.headers['content-type']).toContain('application/json');
    const feed = await request(server).get(`/notifications?uid=${bob.id}`).set('Cookie', cookie);
    expect(feed.status).toBe(409);
    const own = await connect(carol, {}, `?uid=${carol.id}`);
    expect(own.response.statusCode).toBe(200);
  });

  it('should cap the streams of one user per process, answering the next one 429', async () => {
    const cap = 10;
    const streams = await Promise.all(Array.from({ length: cap + 5 }, () => connect(bob)));
    const statuses = streams.map((s) => s.response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(cap);
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    expect(await openStreams()).toBe(cap);
    const other = await connect(carol);
    expect(other.response.statusCode).toBe(200);
    streams.find((s) => s.response.statusCode === 200)?.close();
    const deadline = Date.now() + 2000;
    while ((await openStreams()) > cap && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await connect(bob)).response.statusCode).toBe(200);
  });

  it('should drop a client that reads nothing once its unsent events pass the limit; it resumes losslessly', async () => {
    const stalled = await connect(bob);
    await stalled.waitFor((s) => s.frames.length >= 1);
    stalled.response.pause();
    const notifications = t.app.get(NotificationsService);
    const big = 'x'.repeat(60_000);
    // Each announcement is ~60 KB: the kernel's socket buffers fill (a few MB on loopback),
    // then the stream's, then the pending limit drops the connection.
    let sent = 0;
    while (sent < 400 && (sent % 10 !== 0 || (await openStreams()) > 0)) {
      await notifications.announce('announcement', { message: `${sent} ${big}` });
      sent++;
    }
    expect(await openStreams()).toBe(0);
    expect(sent).toBeLessThan(400);
    const lastSeen = stalled.events.at(-1)?.announcement ?? 0;
    const resumed = await connect(bob, { 'Last-Event-ID': `0:${lastSeen}` });
    await resumed.waitFor((s) => s.events.length === sent - lastSeen);
    // Every announcement it missed, in order, once: the last is the newest.
    expect(resumed.events.map((e) => e.announcement)).toEqual(
      Array.from({ length: sent - lastSeen }, (_, i) => lastSeen + 1 + i),
    );
    expect((resumed.events.at(-1)?.data as { message: string }).message).toMatch(
      new RegExp(`^${sent - 1} `),
    );
  });

  it("should never send one user's notifications to another", async () => {
    const bobStream = await connect(bob);
    const carolStream = await connect(carol);
    const toCarol = () =>
      alice.submit('/send_message/carol', '/send_message/carol', { message: 'marker' });
    await sendToBob('private');
    await bobStream.waitFor((s) => counts(s).length === 1 && newMessages(s).length === 1);
    // A later event of carol's own: when it arrived, bob's would have, had it leaked.
    await toCarol();
    await carolStream.waitFor((s) => newMessages(s).length === 1);
    expect(carolStream.events.map((e) => e.name)).toEqual(['unread_message_count', 'new_message']);
    // No parameter lets one subscribe to someone else's stream.
    const sneaky = await connect(carol, {}, `?user=${bob.id}&userId=${bob.id}`);
    await sendToBob('private again');
    await bobStream.waitFor((s) => counts(s).length === 2 && newMessages(s).length === 2);
    await toCarol();
    await sneaky.waitFor((s) => newMessages(s).length === 1);
    expect(sneaky.events.map((e) => (e.data as { peer?: string }).peer ?? e.data)).toEqual([
      2,
      'alice',
    ]);
  });

  it('should start a fresh stream with the current state at the current position', async () => {
    await sendToBob('one');
    await sendToBob('two');
    const stream = await connect(bob);
    await stream.waitFor((s) => s.states.length === 1);
    // State, not history: the count, at the position after bob's four events.
    expect(stream.states.map((e) => [e.id, e.name, e.data])).toEqual([
      ['4:0', 'unread_message_count', 2],
    ]);
    await sendToBob('three');
    await stream.waitFor((s) => s.events.length === 2);
    expect(stream.events.map((e) => e.id)).toEqual(['5:0', '6:0']);
  });

  it.each([
    ['the Last-Event-ID header', (id: string) => ({ headers: { 'Last-Event-ID': id }, query: '' })],
    [
      'the lastEventId query parameter',
      (id: string) => ({ headers: {}, query: `?lastEventId=${encodeURIComponent(id)}` }),
    ],
  ])('should replay exactly the missed events once, resuming from %s', async (_, resumeFrom) => {
    const first = await connect(bob);
    await sendToBob('one');
    await first.waitFor((s) => s.events.length === 2);
    const seen = first.lastEventId;
    expect(seen).toBe('2:0');
    first.close();

    await sendToBob('two');
    await sendToBob('three');
    const [two, three] = await t.dataSource
      .getRepository(Message)
      .find({ where: [{ body: 'two' }, { body: 'three' }], order: { id: 'ASC' } });
    const { headers, query } = resumeFrom(seen);
    const resumed = await connect(bob, headers, query);
    await resumed.waitFor((s) => s.events.length === 4);
    expect(resumed.frames[0]).toEqual({ id: seen, retry: '2500' });
    expect(resumed.states.map((e) => [e.id, e.name, e.data])).toEqual([
      [seen, 'unread_message_count', 3],
    ]);
    // Every event, not the newest of each name.
    expect(resumed.events.map((e) => [e.id, e.name, e.data])).toEqual([
      ['3:0', 'unread_message_count', 2],
      ['4:0', 'new_message', { id: two.id, peer: 'alice' }],
      ['5:0', 'unread_message_count', 3],
      ['6:0', 'new_message', { id: three.id, peer: 'alice' }],
    ]);

    await sendToBob('four');
    await resumed.waitFor((s) => s.events.length === 6);
    expect(counts(resumed).map((e) => e.data)).toEqual([2, 3, 4]);

    const upToDate = await connect(bob, { 'Last-Event-ID': resumed.lastEventId });
    await upToDate.waitFor((s) => s.states.length === 1);
    await sendToBob('five');
    await upToDate.waitFor((s) => newMessages(s).length === 1);
    // Nothing before the marker: only what came after the cursor.
    expect(upToDate.events.map((e) => e.id)).toEqual(['9:0', '10:0']);
    expect(resumed.events.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('should store one announcement for everyone and stream it to every user in their order', async () => {
    await createUser(t.app, 'dave');
    const bobStream = await connect(bob);
    const carolStream = await connect(carol);
    await bobStream.waitFor((s) => s.frames.length >= 1);
    await carolStream.waitFor((s) => s.frames.length >= 1);
    const notifications = t.app.get(NotificationsService);
    expect(await notifications.announce('announcement', { message: 'old' })).toBe(4);
    await sendToBob('between');
    expect(await notifications.announce('announcement', { message: 'новое 🎉' })).toBe(4);

    const rows = await t.dataSource.getRepository(Notification).findBy({ name: 'announcement' });
    expect(rows.map((r) => [r.userId, r.payload])).toEqual([[null, { message: 'новое 🎉' }]]);
    const logged = await t.dataSource.getRepository(Event).findBy({ userId: IsNull() });
    expect(logged.map((e) => e.seq)).toEqual([1, 2]);
    await bobStream.waitFor((s) => s.events.length === 4);
    expect(bobStream.events.map((e) => [e.id, e.name])).toEqual([
      ['0:1', 'announcement'],
      ['1:1', 'unread_message_count'],
      ['2:1', 'new_message'],
      ['2:2', 'announcement'],
    ]);
    await carolStream.waitFor((s) => s.events.length === 2);
    expect(
      carolStream.events.map((e) => [e.id, e.data, (e as { everyone?: boolean }).everyone]),
    ).toEqual([
      ['0:1', { message: 'old' }, true],
      ['0:2', { message: 'новое 🎉' }, true],
    ]);
    // Each announcement is a line in every center and counts towards every bell.
    const everyone = await t.dataSource.getRepository(User).find({ order: { id: 'ASC' } });
    expect(everyone.map((u) => [u.username, u.unseenNotifications])).toEqual([
      ['alice', 2],
      ['bob', 2],
      ['carol', 2],
      ['dave', 2],
    ]);
    const bells = await t.dataSource
      .getRepository(Notification)
      .findBy({ name: 'notification_count' });
    expect(bells.map((r) => [r.userId, r.payload]).sort()).toEqual(
      everyone.map((u) => [u.id, 2]).sort(),
    );

    // The state carries the event's moment: a page that dismissed it by timestamp knows it,
    // and the bell's state has the same moment (the page has counted the announcement).
    const carolAgain = await connect(carol);
    await carolAgain.waitFor((s) => s.states.length === 2);
    expect(carolAgain.states.map((e) => [e.id, e.name, e.data, e.timestamp])).toEqual([
      ['0:2', 'notification_count', 2, carolStream.events[1].timestamp],
      ['0:2', 'announcement', { message: 'новое 🎉' }, carolStream.events[1].timestamp],
    ]);

    // A user's own notification of that name, stored later, is their current one.
    await notifications.notifyUser(bob.id, 'announcement', { message: 'just bob' });
    const erin = await createUser(t.app, 'erin');
    const current = async (user: User) =>
      (await notifications.since(user.id, 0)).filter((n) => n.name === 'announcement');
    expect((await current(bob)).map((n) => n.data)).toEqual([{ message: 'just bob' }]);
    expect((await current(carol)).map((n) => n.data)).toEqual([{ message: 'новое 🎉' }]);
    expect((await current(erin)).map((n) => n.data)).toEqual([{ message: 'новое 🎉' }]);
    const fresh = await connect(bob);
    await fresh.waitFor((s) => s.states.length === 3);
    expect(fresh.states.map((e) => [e.id, e.name, e.data])).toEqual([
      ['3:2', 'unread_message_count', 1],
      ['3:2', 'notification_count', 2],
      ['3:2', 'announcement', { message: 'just bob' }],
    ]);

    // Resuming from after the first: the rest of bob's order, in order.
    const resumed = await connect(bob, { 'Last-Event-ID': '0:1' });
    await resumed.waitFor((s) => s.events.length === 4);
    expect(resumed.events.map((e) => [e.id, e.name])).toEqual([
      ['1:1', 'unread_message_count'],
      ['2:1', 'new_message'],
      ['2:2', 'announcement'],
      ['3:2', 'announcement'],
    ]);
  });

  it('should write comment-only heartbeats', async () => {
    const stream = await connect(bob);
    await stream.waitFor((s) => s.frames.filter((f) => f.comment !== undefined).length >= 2);
    const heartbeats = stream.frames.filter((f) => f.comment !== undefined);
    expect(heartbeats.every((f) => f.id === undefined && f.data === undefined)).toBe(true);
  });

  // 1,000 connects, each authenticated against the database: about 20 s on MariaDB on an idle
  // two-core machine, more when other suites share it.
  it('should leave no subscription behind after 1,000 connect/disconnect cycles', async () => {
    const cookie = await authCookieFor(t.app, bob);
    for (let i = 0; i < 1000; i++) {
      const client = await SseClient.connect(t.baseUrl, '/notifications/stream', {
        Cookie: cookie,
      });
      await client.waitFor((s) => s.frames.length >= 1);
      client.close();
    }
    const deadline = Date.now() + 3000;
    while ((await openStreams()) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await openStreams()).toBe(0);
  }, 120_000);

  it('should count open streams on /health', async () => {
    expect(await openStreams()).toBe(0);
    const one = await connect(bob);
    await connect(carol);
    await one.waitFor((s) => s.frames.length >= 1);
    expect(await openStreams()).toBe(2);
  });
});
