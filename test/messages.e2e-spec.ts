import request from 'supertest';
import { Conversation } from '../src/conversations/conversation.entity';
import { Message } from '../src/messages/message.entity';
import { Notification } from '../src/notifications/notification.entity';
import { NotificationsService } from '../src/notifications/notifications.service';
import { User } from '../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession, csrfTokenOf } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { bellOf, messageItems, notificationsScriptOf } from './utils/pages';
import { createTestApp, TestApp } from './utils/test-app';

interface NotificationJson {
  name: string;
  data: unknown;
  timestamp: number;
}

describe('Private messages and notifications (e2e)', () => {
  let t: TestApp;
  let a: BrowserSession;
  let b: BrowserSession;
  let bob: User;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    await createUser(t.app, 'carol');
    a = new BrowserSession(t.app);
    b = new BrowserSession(t.app);
    await a.login('alice', DEFAULT_PASSWORD);
    await b.login('bob', DEFAULT_PASSWORD);
  });

  afterEach(() => clearDatabase(t.dataSource));

  const send = (from: BrowserSession, to: string, message: string) =>
    from.submit(`/send_message/${to}`, `/send_message/${to}`, { message });

  const notifications = async (session: BrowserSession, since: unknown = 0) => {
    const res = await session.agent
      .get(`/notifications?since=${String(since)}`)
      .set('Accept', 'application/json');
    expect(res.status).toBe(200);
    return res.body as NotificationJson[];
  };

  /** The notifications of one name (a send also notifies new_message to both sides). */
  const named = (list: NotificationJson[], name: string) => list.filter((n) => n.name === name);

  const unreadCount = async (session: BrowserSession) =>
    (await notifications(session)).find((n) => n.name === 'unread_message_count')?.data;

  const badgeOf = (html: string) => {
    const match = /<span id="message_count"([^>]*)>([^<]*)<\/span>/.exec(html);
    const visibility = /visibility: (\w+)/.exec(match?.[1] ?? '')?.[1];
    const count = /data-count="(\d+)"/.exec(match?.[1] ?? '')?.[1];
    if (!match || !visibility || count === undefined) {
      throw new Error('no badge in the page');
    }
    return { visibility, count: Number(count) };
  };

  it('should send a message, flash, and count it in the notification', async () => {
    const form = await a.get('/send_message/bob');
    expect(form.status).toBe(200);
    expect(form.text).toContain('Send Message to bob');
    expect(form.text).toMatch(/<textarea id="message" name="message"/);

    const sent = await send(a, 'bob', 'Hello Bob!');
    expect(sent.status).toBe(302);
    expect(sent.headers.location).toBe('/conversations/bob');
    expect((await a.get('/conversations/bob')).text).toContain('Your message has been sent.');
    expect(await unreadCount(b)).toBe(1);

    await send(a, 'bob', 'Are you there?');
    expect(await unreadCount(b)).toBe(2);
    const rows = await t.dataSource
      .getRepository(Notification)
      .findBy({ userId: bob.id, name: 'unread_message_count' });
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toBe(2);
    expect(await unreadCount(a)).toBeUndefined();
  });

  it('should mark everything read when the inbox opens, and serve only newer notifications', async () => {
    await send(a, 'bob', 'one');
    await send(a, 'bob', 'two');
    const [before] = named(await notifications(b), 'unread_message_count');
    expect(before.data).toBe(2);
    const lastSent = Math.max(...(await notifications(b)).map((n) => n.timestamp));

    const inbox = await b.get('/messages');
    expect(inbox.status).toBe(200);
    expect(badgeOf(inbox.text)).toEqual({ visibility: 'hidden', count: 0 });
    const afterRead = await notifications(b, lastSent);
    expect(afterRead).toHaveLength(1);
    expect(afterRead[0]).toMatchObject({ name: 'unread_message_count', data: 0 });
    expect(afterRead[0].timestamp).toBeGreaterThan(before.timestamp);
    expect(await notifications(b, afterRead[0].timestamp)).toEqual([]);
    const mark = await t.dataSource.getRepository(Conversation).findOneByOrFail({ userId: bob.id });
    expect(mark.lastReadAt.getTime()).toBeGreaterThan(0);

    await send(a, 'bob', 'three');
    const newer = await notifications(b, afterRead[0].timestamp);
    expect(named(newer, 'unread_message_count')).toEqual([
      expect.objectContaining({ name: 'unread_message_count', data: 1 }),
    ]);
  });

  it('should page the inbox newest first, 25 a page', async () => {
    const messages = t.dataSource.getRepository(Message);
    const start = Date.now() - 60_000;
    const alice = await t.dataSource.getRepository(User).findOneByOrFail({ username: 'alice' });
    for (let i = 1; i <= 30; i++) {
      await messages.save({
        senderId: alice.id,
        recipientId: bob.id,
        body: `message ${i}`,
        timestamp: new Date(start + i * 1000),
      });
    }
    const bodies = (html: string) =>
      [...html.matchAll(/<p class="mb-0 message-body">([^<]*)<\/p>/g)].map((m) => m[1]);

    const page1 = await b.get('/messages');
    expect(bodies(page1.text)).toEqual(Array.from({ length: 25 }, (_, i) => `message ${30 - i}`));
    // Only links that lead somewhere: no "newer" on page 1, no "older" on the last page.
    expect(page1.text).not.toContain('Newer messages');
    expect(page1.text).toContain('Older messages');
    expect(page1.text).toContain('href="/messages?page&#x3D;2"');

    const page2 = await b.get('/messages?page=2');
    expect(bodies(page2.text)).toEqual([
      'message 5',
      'message 4',
      'message 3',
      'message 2',
      'message 1',
    ]);
    expect(page2.text).toContain('href="/messages?page&#x3D;1"');
    expect(page2.text).toContain('Newer messages');
    expect(page2.text).not.toContain('Older messages');

    const page3 = await b.get('/messages?page=3');
    expect(page3.status).toBe(200);
    expect(bodies(page3.text)).toEqual([]);
    expect(page3.text).not.toContain('id="no-messages"');
    expect(page3.text).toContain('href="/messages?page&#x3D;1"');
    expect(bodies((await b.get('/messages?page=abc')).text)).toEqual(bodies(page1.text));
  });

  describe('message validation', () => {
    it.each([
      ['140 Cyrillic letters', 'ж'.repeat(140)],
      ['140 emoji', '👍🏽'.repeat(140)],
      ['140 family emoji', '👨‍👩‍👧'.repeat(140)],
    ])('should accept %s', async (_, body) => {
      expect((await send(a, 'bob', body)).status).toBe(302);
      const stored = await t.dataSource
        .getRepository(Message)
        .findOneByOrFail({ recipientId: bob.id });
      expect(stored.body).toBe(body);
    });

    it.each([
      ['141 Cyrillic letters', 'ж'.repeat(141), 'At most 140 characters.'],
      ['141 emoji', '😀'.repeat(141), 'At most 140 characters.'],
      ['an empty message', '', 'This field is required.'],
      ['a whitespace-only message', '  \n\t ', 'This field is required.'],
    ])('should refuse %s with 400, keeping the text', async (_, body, error) => {
      const res = await send(a, 'bob', body);
      expect(res.status).toBe(400);
      expect(res.text).toContain(`data-error-for="message">${error}`);
      expect(res.text).toContain(`${body.trim()}</textarea>`);
      expect(await t.dataSource.getRepository(Message).count()).toBe(0);
      expect(await unreadCount(b)).toBeUndefined();
    });

    it('should answer 404 for an unknown recipient', async () => {
      expect((await a.get('/send_message/nobody')).status).toBe(404);
      const form = await a.get('/send_message/bob');
      const res = await a.agent
        .post('/send_message/nobody')
        .type('form')
        .send({ csrf_token: csrfTokenOf(form.text), message: 'hi' });
      expect(res.status).toBe(404);
    });

    it('should refuse a message to yourself with a clear error', async () => {
      const res = await a.get('/send_message/alice');
      expect(res.status).toBe(400);
      expect(res.text).toContain('You cannot send a private message to yourself.');
      const profile = await a.get('/user/alice');
      expect(profile.text).not.toContain('Send private message');
      expect((await a.get('/user/bob')).text).toContain('href="/send_message/bob"');
    });

    it('should refuse a post without a CSRF token', async () => {
      const res = await a.agent.post('/send_message/bob').type('form').send({ message: 'hi' });
      expect(res.status).toBe(403);
      expect(await t.dataSource.getRepository(Message).count()).toBe(0);
    });
  });

  it('should send anonymous visitors to the login page, and answer JSON 401 on /notifications', async () => {
    const anonymous = new BrowserSession(t.app);
    for (const path of ['/messages', '/send_message/bob']) {
      const res = await anonymous.get(path);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`/auth/login?next=${encodeURIComponent(path)}`);
    }
    const json = await request(t.app.getHttpServer()).get('/notifications?since=0');
    expect(json.status).toBe(401);
    expect(json.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it("should never show B's messages or notifications to C", async () => {
    await send(a, 'bob', 'for bob only');
    const c = new BrowserSession(t.app);
    await c.login('carol', DEFAULT_PASSWORD);
    const inbox = await c.get('/messages');
    expect(inbox.text).not.toContain('for bob only');
    expect(inbox.text).toContain('You have no messages yet.');
    expect(await notifications(c)).toEqual([
      expect.objectContaining({ name: 'unread_message_count', data: 0 }),
    ]);
    expect((await b.get('/messages')).text).toContain('for bob only');
  });

  it('should show a message body escaped, with its author and avatar', async () => {
    await send(a, 'bob', '<script>alert("pwned")</script>');
    const inbox = await b.get('/messages');
    expect(inbox.text).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(inbox.text).not.toContain('<script>alert');
    expect(messageItems(inbox.text).map((m) => [m.person, m.body])).toEqual([
      ['alice', '<script>alert("pwned")</script>'],
    ]);
    expect(inbox.text).toContain('src="/avatars/alice"');
  });

  it('should show the badge hidden at 0 and visible with the count', async () => {
    expect(badgeOf((await b.get('/')).text)).toEqual({ visibility: 'hidden', count: 0 });
    await send(a, 'bob', 'one');
    await send(a, 'bob', 'two');
    const home = await b.get('/');
    expect(badgeOf(home.text)).toEqual({ visibility: 'visible', count: 2 });
    // Messages reach the bell only for those who turned notify_messages on (off by default).
    expect(bellOf(home.text)).toEqual({ count: 0, shown: '0' });
    // The stream resumes from the page's event cursor: bob's event number as it rendered.
    const { eventSeq } = await t.dataSource.getRepository(User).findOneByOrFail({ id: bob.id });
    expect(notificationsScriptOf(home.text)).toMatchObject({
      'data-user-id': String(bob.id),
      'data-event-cursor': `${eventSeq}:0`,
    });
    expect((await new BrowserSession(t.app).get('/auth/login')).text).not.toContain(
      'message_count',
    );
  });

  it('should serve since as the tutorial does: garbage counts as 0', async () => {
    await send(a, 'bob', 'one');
    const names = async (since: unknown) =>
      (await notifications(b, since)).map((n) => n.name).sort();
    expect(await names('abc')).toEqual(['unread_message_count']);
    expect(await names('')).toEqual(['unread_message_count']);
    expect(await notifications(b, Date.now() / 1000 + 60)).toEqual([]);
  });

  it('should store neither the message nor the notification when the notification fails', async () => {
    const add = jest
      .spyOn(t.app.get(NotificationsService), 'record')
      .mockRejectedValueOnce(new Error('disk full'));
    const res = await send(a, 'bob', 'lost?');
    add.mockRestore();
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('disk full');
    expect(await t.dataSource.getRepository(Message).count()).toBe(0);
    expect(await t.dataSource.getRepository(Notification).count()).toBe(0);
  });

  const parallelSenders = async () => {
    const senders: BrowserSession[] = [];
    for (const name of ['s1', 's2', 's3', 's4', 's5']) {
      await createUser(t.app, name);
      const session = new BrowserSession(t.app);
      await session.login(name, DEFAULT_PASSWORD);
      senders.push(session);
    }
    const tokens = await Promise.all(
      senders.map(async (s) => csrfTokenOf((await s.get('/send_message/bob')).text)),
    );
    return (count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          senders[i % 5].agent
            .post('/send_message/bob')
            .type('form')
            .send({ csrf_token: tokens[i % 5], message: `parallel ${i}` }),
        ),
      );
  };

  it('should leave the true count after 50 parallel sends from several senders', async () => {
    const sendInParallel = await parallelSenders();
    const results = await sendInParallel(50);
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(302));
    expect(await t.dataSource.getRepository(Message).countBy({ recipientId: bob.id })).toBe(50);
    expect(await unreadCount(b)).toBe(50);
  });

  it('should roll back only the failed send when sends run in parallel', async () => {
    const sendInParallel = await parallelSenders();
    const notifications = t.app.get(NotificationsService);
    const realRecord = notifications.record.bind(notifications);
    let calls = 0;
    const add = jest.spyOn(notifications, 'record').mockImplementation(async (...args) => {
      calls++;
      if (calls === 2) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('disk full');
      }
      return realRecord(...args);
    });
    const results = await sendInParallel(20);
    add.mockRestore();
    expect(results.filter((r) => r.status === 302)).toHaveLength(19);
    expect(results.filter((r) => r.status === 500)).toHaveLength(1);
    expect(await t.dataSource.getRepository(Message).countBy({ recipientId: bob.id })).toBe(19);
    expect(await unreadCount(b)).toBe(19);
  });
});
