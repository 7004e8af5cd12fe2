import { Block } from '../src/blocks/block.entity';
import { Message } from '../src/messages/message.entity';
import { MessagesService } from '../src/messages/messages.service';
import { Notification } from '../src/notifications/notification.entity';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { badgeOf, conversationRows, decodeHtml, messageItems } from './utils/pages';
import { EventLogService } from '../src/notifications/event-log.service';
import { eventsBeforeMarker } from './utils/stream-marker';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

interface NotificationJson {
  name: string;
  data: unknown;
  timestamp: number;
}

const BLOCKED_BY_RECIPIENT = "You can't send messages to this user.";
const YOU_BLOCKED = 'You blocked this user. Unblock them to send a message.';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocking a user: what the blocked can't do, what the blocker no longer sees, and privacy. */
describe('Blocking users (e2e)', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  let a: BrowserSession;
  let b: BrowserSession;
  let c: BrowserSession;
  const open: SseClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((name) => createUser(t.app, name)),
    );
    [a, b, c] = await Promise.all(
      ['alice', 'bob', 'carol'].map(async (name) => {
        const session = new BrowserSession(t.app);
        await session.login(name, DEFAULT_PASSWORD);
        return session;
      }),
    );
  });

  afterEach(async () => {
    open.splice(0).forEach((client) => client.close());
    await clearDatabase(t.dataSource);
  });

  const send = async (from: User, to: User, body: string) => {
    const message = await t.app.get(MessagesService).send(from, to, body);
    await sleep(3);
    return message;
  };

  const sendVia = (session: BrowserSession, to: string, message: string) =>
    session.submit('/conversations', `/send_message/${to}`, { message });

  const block = (session: BrowserSession, username: string, fields: Record<string, string> = {}) =>
    session.submit('/conversations', `/user/${username}/block`, fields);

  const unblock = (
    session: BrowserSession,
    username: string,
    fields: Record<string, string> = {},
  ) => session.submit('/conversations', `/user/${username}/unblock`, fields);

  const unreadOf = async (session: BrowserSession) => {
    const res = await session.agent.get('/notifications?since=0').set('Accept', 'application/json');
    return (res.body as NotificationJson[]).find((n) => n.name === 'unread_message_count')?.data;
  };

  const rowsOf = async (session: BrowserSession) =>
    conversationRows((await session.get('/conversations')).text);

  const notificationsOf = async (user: User) =>
    (await t.dataSource.getRepository(Notification).find({ where: { userId: user.id } })).map(
      (n) => `${n.id} ${n.name} ${n.payloadJson}`,
    );

  const blockedList = async (session: BrowserSession) => {
    const res = await session.get('/blocked');
    expect(res.status).toBe(200);
    const list = /<ul\b[^>]*id="blocked-users"[^>]*>([\s\S]*?)<\/ul>/.exec(res.text)?.[1] ?? '';
    return [...list.matchAll(/href="\/user\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
  };

  const streamOf = async (user: User) => {
    const from = await t.app.get(EventLogService).position(user.id);
    const client = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: await authCookieFor(t.app, user),
      'Last-Event-ID': `${from.seq}:${from.announcement}`,
    });
    open.push(client);
    await client.waitFor((s) => s.frames.length >= 1);
    return client;
  };

  const counts = (client: SseClient) =>
    client.events.filter((e) => e.name === 'unread_message_count').map((e) => e.data);

  it('should refuse the blocked sender with 403 and a clear text, and store nothing', async () => {
    await send(bob, alice, 'before the block');
    const blocked = await block(a, 'bob');
    expect(blocked.status).toBe(302);
    expect(await t.dataSource.getRepository(Block).countBy({ blockerId: alice.id })).toBe(1);
    const aliceBefore = await notificationsOf(alice);

    const form = await b.get('/send_message/alice');
    expect(form.status).toBe(403);
    expect(decodeHtml(form.text)).toContain(BLOCKED_BY_RECIPIENT);
    const post = await sendVia(b, 'alice', 'let me in');
    expect(post.status).toBe(403);
    expect(decodeHtml(post.text)).toContain(BLOCKED_BY_RECIPIENT);
    expect(await t.dataSource.getRepository(Message).count()).toBe(1);
    expect(await notificationsOf(alice)).toEqual(aliceBefore);

    // Bob's thread says he can't reply instead of offering the form.
    const thread = await b.get('/conversations/alice');
    expect(thread.status).toBe(200);
    expect(thread.text).toContain('id="cannot-reply"');
    expect(thread.text).not.toContain('id="reply-form"');

    // Alice, who blocked him, is told why she can't write to him either.
    for (const res of [await a.get('/send_message/bob'), await sendVia(a, 'bob', 'hi')]) {
      expect(res.status).toBe(403);
      expect(decodeHtml(res.text)).toContain(YOU_BLOCKED);
    }
    expect(await t.dataSource.getRepository(Message).count()).toBe(1);
  });

  it("should hide the blocked user's messages from the blocker's counts and pages at once, and bring them back on unblock", async () => {
    const b1 = await send(bob, alice, 'from bob 1');
    const b2 = await send(bob, alice, 'from bob 2');
    const c1 = await send(carol, alice, 'from carol');
    expect(await unreadOf(a)).toBe(3);
    const stream = await streamOf(alice);

    expect((await block(a, 'bob')).headers.location).toBe('/user/bob');
    await stream.waitFor((s) => counts(s).length === 1);
    expect(counts(stream)).toEqual([1]);
    expect(await unreadOf(a)).toBe(1);
    expect(badgeOf((await a.get('/')).text).count).toBe(1);
    expect(await rowsOf(a)).toEqual([{ peer: 'carol', snippet: 'from carol', unread: 1 }]);

    const thread = await a.get('/conversations/bob');
    expect(thread.status).toBe(200);
    expect(thread.text).toContain('id="you-blocked"');
    expect(messageItems(thread.text)).toEqual([]);
    expect(thread.text).not.toContain('from bob');
    const fragment = await a.get('/conversations/bob/messages?after=0');
    expect(fragment.status).toBe(200);
    expect(messageItems(fragment.text)).toEqual([]);
    // Looking at the hidden thread read nothing.
    expect(await unreadOf(a)).toBe(1);

    expect((await unblock(a, 'bob')).status).toBe(302);
    await stream.waitFor((s) => counts(s).length === 2);
    expect(counts(stream)).toEqual([1, 3]);
    expect(await unreadOf(a)).toBe(3);
    expect(await rowsOf(a)).toEqual([
      { peer: 'carol', snippet: 'from carol', unread: 1 },
      { peer: 'bob', snippet: 'from bob 2', unread: 2 },
    ]);

    // The inbox: blocked senders left out, and back after the unblock.
    await block(a, 'bob');
    const hidden = await a.get('/messages');
    expect(messageItems(hidden.text).map((m) => m.id)).toEqual([c1.id]);
    await unblock(a, 'bob');
    const shown = await a.get('/messages');
    expect(messageItems(shown.text).map((m) => m.id)).toEqual([c1.id, b2.id, b1.id]);
  });

  it('should keep the hidden messages unread while blocked, whatever the blocker opens', async () => {
    const first = await send(bob, alice, 'hidden 1');
    const last = await send(bob, alice, 'hidden 2');
    const paths = [
      '/',
      '/conversations',
      '/conversations/bob',
      '/conversations/bob/messages?after=0',
      '/messages',
    ];
    // Each page opened while bob is blocked; what is unread once he is unblocked.
    const unreadAfter: Record<string, unknown> = {};
    for (const path of paths) {
      await block(a, 'bob');
      expect([path, (await a.get(path)).status]).toEqual([path, 200]);
      expect(await unreadOf(a)).toBe(0);
      await unblock(a, 'bob');
      unreadAfter[path] = await unreadOf(a);
    }
    expect(unreadAfter).toEqual(Object.fromEntries(paths.map((path) => [path, 2])));
    expect(await rowsOf(a)).toEqual([{ peer: 'bob', snippet: 'hidden 2', unread: 2 }]);
    expect(messageItems((await a.get('/messages')).text).map((m) => [m.id, m.isNew])).toEqual([
      [last.id, true],
      [first.id, true],
    ]);
  });

  it('should block one pair only: a third user writes and reads as before', async () => {
    await block(a, 'bob');
    expect((await sendVia(c, 'alice', 'carol to alice')).status).toBe(302);
    expect((await sendVia(b, 'carol', 'bob to carol')).status).toBe(302);
    expect((await sendVia(c, 'bob', 'carol to bob')).status).toBe(302);
    expect(await unreadOf(a)).toBe(1);
    expect(await unreadOf(c)).toBe(1);
    expect(await unreadOf(b)).toBe(1);
    expect((await rowsOf(a)).map((row) => row.peer)).toEqual(['carol']);
    expect((await rowsOf(c)).map((row) => [row.peer, row.snippet])).toEqual([
      ['bob', 'You: carol to bob'],
      ['alice', 'You: carol to alice'],
    ]);
    expect((await c.get('/conversations/bob')).text).toContain('id="reply-form"');
    expect(await blockedList(c)).toEqual([]);
    expect(await blockedList(b)).toEqual([]);
  });

  it('should tell the blocked user nothing: their pages, profile view and notifications stay the same', async () => {
    await send(bob, alice, 'hi alice');
    await send(alice, bob, 'hello bob');
    // What bob sees, without what changes from one response to the next (the thread first:
    // opening it the first time reads alice's message).
    const bobsView = async () => {
      const thread = messageItems((await b.get('/conversations/alice')).text);
      const profile = await b.get('/user/alice');
      return {
        thread: thread.map((m) => m.body),
        rows: await rowsOf(b),
        profile: profile.text
          .replace(/name="csrf_token" value="[^"]*"/g, '')
          .replace(/<time\b[^>]*>[^<]*<\/time>/g, ''),
        blocked: await blockedList(b),
        unread: await unreadOf(b),
        notifications: await notificationsOf(bob),
      };
    };
    const before = await bobsView();
    expect(before.rows).toEqual([{ peer: 'alice', snippet: 'hello bob', unread: 0 }]);
    expect(before.thread).toEqual(['hi alice', 'hello bob']);
    const bobStream = await streamOf(bob);

    await block(a, 'bob');
    expect(await bobsView()).toEqual(before);
    expect(await eventsBeforeMarker(t.app, bobStream)).toEqual([[]]);
    expect(before.profile).toContain('id="send-message-link"');
  });

  it('should list the blocked users on /blocked, each with Unblock', async () => {
    expect(await blockedList(a)).toEqual([]);
    expect((await a.get('/blocked')).text).toContain('id="no-blocked"');
    await block(a, 'bob');
    await sleep(3);
    await block(a, 'carol');
    expect(await blockedList(a)).toEqual(['carol', 'bob']);
    const page = await a.get('/blocked');
    expect(page.text).toMatch(/<form[^>]*action="\/user\/bob\/unblock"/);

    const res = await a.submit('/blocked', '/user/bob/unblock', { next: '/blocked' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/blocked');
    expect(await blockedList(a)).toEqual(['carol']);
    expect(
      (await t.dataSource.getRepository(Block).find()).map((row) => [row.blockerId, row.blockedId]),
    ).toEqual([[alice.id, carol.id]]);
  });

  it('should refuse blocking oneself with 400 and an unknown user with 404', async () => {
    const self = await block(a, 'alice');
    expect(self.status).toBe(400);
    expect(decodeHtml(self.text)).toContain('You cannot block yourself.');
    expect((await block(a, 'nobody')).status).toBe(404);
    expect((await unblock(a, 'nobody')).status).toBe(404);
    expect(await t.dataSource.getRepository(Block).count()).toBe(0);
  });

  it('should block once however often asked, and refuse a block without a CSRF token', async () => {
    const forged = await a.agent
      .post('/user/bob/block')
      .set('Accept', 'text/html')
      .type('form')
      .send({});
    expect(forged.status).toBe(403);
    expect(await t.dataSource.getRepository(Block).count()).toBe(0);
    await block(a, 'bob');
    await block(a, 'bob');
    expect(await t.dataSource.getRepository(Block).count()).toBe(1);
  });
});
