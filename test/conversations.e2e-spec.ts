import request from 'supertest';
import { Message } from '../src/messages/message.entity';
import { MessagesService } from '../src/messages/messages.service';
import { Notification } from '../src/notifications/notification.entity';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { badgeOf, conversationRows, messageItems, titleOf, withoutTokens } from './utils/pages';
import { statementsDuring } from './utils/query-log';
import { EventLogService } from '../src/notifications/event-log.service';
import { eventsBeforeMarker } from './utils/stream-marker';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

interface NotificationJson {
  name: string;
  data: unknown;
  timestamp: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The conversation list, threads, the inbox and sent views, deleting one's own messages. */
describe('Conversations (e2e)', () => {
  let t: TestApp;
  const open: SseClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
  });

  afterAll(() => t.close());

  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    await clearDatabase(t.dataSource);
  });

  const users = (...names: string[]) => Promise.all(names.map((name) => createUser(t.app, name)));

  const browserOf = async (username: string) => {
    const session = new BrowserSession(t.app);
    await session.login(username, DEFAULT_PASSWORD);
    return session;
  };

  /** A message stored by the app's own send, each a millisecond apart at least (ordering). */
  const send = async (from: User, to: User, body: string) => {
    const message = await t.app.get(MessagesService).send(from, to, body);
    await sleep(3);
    return message;
  };

  /** The send form, as a person submits it. */
  const sendVia = (session: BrowserSession, to: string, message: string) =>
    session.submit(`/send_message/${to}`, `/send_message/${to}`, { message });

  const notificationsOf = async (session: BrowserSession) => {
    const res = await session.agent.get('/notifications?since=0').set('Accept', 'application/json');
    expect(res.status).toBe(200);
    return res.body as NotificationJson[];
  };

  const current = async (session: BrowserSession, name: string) =>
    (await notificationsOf(session)).find((n) => n.name === name)?.data;

  const listOf = async (session: BrowserSession, path = '/conversations') => {
    const res = await session.get(path);
    expect([path, res.status]).toEqual([path, 200]);
    return conversationRows(res.text);
  };

  /** Every stored notification, to show that a request wrote none. */
  const storedNotifications = async () =>
    (await t.dataSource.getRepository(Notification).find({ order: { id: 'ASC' } })).map(
      (n) => `${n.id} ${n.userId} ${n.name} ${n.payloadJson}`,
    );

  /** A stream of the user's that gets only what is stored from now on. */
  const streamOf = async (user: User) => {
    const from = await t.app.get(EventLogService).position(user.id);
    const client = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: await authCookieFor(t.app, user),
      'Last-Event-ID': `${from.seq}:${from.announcement}`,
    });
    open.push(client);
    await client.waitFor((c) => c.frames.length >= 1);
    return client;
  };

  const eventsNamed = (client: SseClient, name: string) =>
    client.events.filter((e) => e.name === name).map((e) => e.data);

  describe('the conversation list', () => {
    it('should show one row per correspondent, newest activity first whichever way it went', async () => {
      const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
      await send(bob, alice, 'b1');
      await send(bob, alice, 'b2');
      await send(carol, alice, 'c1');
      await send(alice, dave, 'to dave');
      const a = await browserOf('alice');

      expect(await listOf(a)).toEqual([
        { peer: 'dave', snippet: 'You: to dave', unread: 0 },
        { peer: 'carol', snippet: 'c1', unread: 1 },
        { peer: 'bob', snippet: 'b2', unread: 2 },
      ]);

      // Alice writing moves bob up; bob's messages stay unread.
      await send(alice, bob, 'to bob');
      expect(await listOf(a)).toEqual([
        { peer: 'bob', snippet: 'You: to bob', unread: 2 },
        { peer: 'dave', snippet: 'You: to dave', unread: 0 },
        { peer: 'carol', snippet: 'c1', unread: 1 },
      ]);

      // A message to alice moves its sender up.
      await send(carol, alice, 'c2');
      expect((await listOf(a)).map((row) => [row.peer, row.snippet, row.unread])).toEqual([
        ['carol', 'c2', 2],
        ['bob', 'You: to bob', 2],
        ['dave', 'You: to dave', 0],
      ]);

      // The other side of each exchange has its own row, its own snippet and count.
      expect(await listOf(await browserOf('dave'))).toEqual([
        { peer: 'alice', snippet: 'to dave', unread: 1 },
      ]);
      expect(await listOf(await browserOf('bob'))).toEqual([
        { peer: 'alice', snippet: 'to bob', unread: 1 },
      ]);
    });

    it('should show the last message escaped, and an empty list with its own text', async () => {
      const [alice, bob] = await users('alice', 'bob', 'carol');
      await send(bob, alice, '<img src=x onerror=alert(1)> & "hi"');
      const page = await (await browserOf('alice')).get('/conversations');
      expect(conversationRows(page.text)[0].snippet).toBe('<img src=x onerror=alert(1)> & "hi"');
      expect(page.text).toContain(
        '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &amp; &quot;hi&quot;',
      );
      expect(page.text).not.toContain('<img src=x');

      const empty = await (await browserOf('carol')).get('/conversations');
      expect(conversationRows(empty.text)).toEqual([]);
      expect(empty.text).toContain('id="no-conversations"');
    });

    it('should render with as many statements for 30 conversations as for 3', async () => {
      const [alice] = await users('alice');
      const a = await browserOf('alice');
      const addPeers = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const [peer] = await users(`peer${i}`);
          for (let n = 0; n <= i % 3; n++) {
            await t.app.get(MessagesService).send(peer, alice, `from peer${i} #${n}`);
          }
          if (i % 2 === 0) {
            await t.app.get(MessagesService).send(alice, peer, `to peer${i}`);
          }
        }
      };
      // A request before each measured one: writes made once in a while (last seen) are done.
      const measure = async () => {
        await a.get('/conversations');
        let rows = 0;
        const statements = await statementsDuring(t.dataSource, async () => {
          const res = await a.get('/conversations');
          expect(res.status).toBe(200);
          rows = conversationRows(res.text).length;
        });
        return { rows, statements };
      };

      await addPeers(0, 3);
      const few = await measure();
      await addPeers(3, 30);
      const many = await measure();

      expect([few.rows, many.rows]).toEqual([3, 25]);
      expect(few.statements.length).toBeGreaterThan(0);
      expect(many.statements.length).toBe(few.statements.length);
    });
  });

  describe('the badge and the per-conversation counts', () => {
    /** bob 1, carol 2, dave 3 unread for alice; her own messages count for nobody but bob. */
    async function threeSenders() {
      const [alice, bob, carol, dave] = await users('alice', 'bob', 'carol', 'dave');
      await send(bob, alice, 'bob 1');
      await send(alice, bob, 'alice to bob');
      for (let i = 1; i <= 2; i++) {
        await send(carol, alice, `carol ${i}`);
      }
      for (let i = 1; i <= 3; i++) {
        await send(dave, alice, `dave ${i}`);
      }
      return { alice, bob, carol, dave };
    }

    it('should equal the sum of the conversations’ counts: notification, navbar and list', async () => {
      await threeSenders();
      const a = await browserOf('alice');
      expect(await current(a, 'unread_message_count')).toBe(6);
      for (const path of ['/', '/explore', '/user/bob', '/messages/sent', '/conversations']) {
        const res = await a.get(path);
        expect([path, badgeOf(res.text).count]).toEqual([path, 6]);
      }
      const rows = await listOf(a);
      expect(Object.fromEntries(rows.map((row) => [row.peer, row.unread]))).toEqual({
        dave: 3,
        carol: 2,
        bob: 1,
      });
      expect(rows.reduce((sum, row) => sum + row.unread, 0)).toBe(6);
      expect(await current(await browserOf('bob'), 'unread_message_count')).toBe(1);
    });

    it('should lower the badge by exactly the count of the conversation opened, and tell the peer', async () => {
      const { alice, bob, carol, dave } = await threeSenders();
      const a = await browserOf('alice');
      const carolsLast = await t.dataSource
        .getRepository(Message)
        .findOneByOrFail({ body: 'carol 2' });
      const [aliceStream, carolStream, bobStream, daveStream] = await Promise.all(
        [alice, carol, bob, dave].map(streamOf),
      );

      const thread = await a.get('/conversations/carol');
      expect(thread.status).toBe(200);
      expect(badgeOf(thread.text).count).toBe(4);
      expect(await current(a, 'unread_message_count')).toBe(4);
      expect(Object.fromEntries((await listOf(a)).map((row) => [row.peer, row.unread]))).toEqual({
        dave: 3,
        carol: 0,
        bob: 1,
      });

      await aliceStream.waitFor((c) => eventsNamed(c, 'unread_message_count').length === 1);
      expect(eventsNamed(aliceStream, 'unread_message_count')).toEqual([4]);
      await carolStream.waitFor((c) => eventsNamed(c, 'conversation_seen').length === 1);
      const [seen] = eventsNamed(carolStream, 'conversation_seen') as {
        peer: string;
        at: number;
      }[];
      expect(seen).toEqual({ peer: 'alice', at: expect.any(Number) });
      expect(seen.at).toBeGreaterThanOrEqual(carolsLast.timestamp.getTime());
      const c = await browserOf('carol');
      // A receipt is history (carol's event log), not state: the feed has none.
      expect(await current(c, 'conversation_seen')).toBeUndefined();
      // Carol's own count (she never had one) and the others' streams are not touched.
      expect(await current(c, 'unread_message_count')).toBeUndefined();
      const [bobs, daves, carols, alices] = await eventsBeforeMarker(
        t.app,
        bobStream,
        daveStream,
        carolStream,
        aliceStream,
      );
      expect([bobs, daves]).toEqual([[], []]);
      expect(carols.map((e) => e.name)).toEqual(['conversation_seen']);
      expect(alices.map((e) => e.name)).toEqual(['unread_message_count']);

      // Opening it again, or one with nothing unread, writes no notification.
      const before = await storedNotifications();
      expect((await a.get('/conversations/carol')).status).toBe(200);
      expect((await (await browserOf('bob')).get('/conversations/dave')).status).toBe(200);
      expect(await storedNotifications()).toEqual(before);
      const [carolsNow, alicesNow] = await eventsBeforeMarker(t.app, carolStream, aliceStream);
      expect(carolsNow.map((e) => e.name)).toEqual(['conversation_seen', 'marker']);
      expect(alicesNow.map((e) => e.name)).toEqual(['unread_message_count', 'marker']);
    });

    it('should show "99+" above 99, with the exact number in data-count and the notification', async () => {
      const [alice, bob] = await users('alice', 'bob');
      const messages = t.app.get(MessagesService);
      for (let i = 1; i <= 99; i++) {
        await messages.send(bob, alice, `flood ${i}`);
      }
      const a = await browserOf('alice');
      const at99 = await a.get('/');
      expect(badgeOf(at99.text)).toEqual({ count: 99, shown: '99' });
      expect(titleOf(at99.text)).toMatch(/^\(99\) /);

      for (let i = 100; i <= 150; i++) {
        await messages.send(bob, alice, `flood ${i}`);
      }
      const home = await a.get('/');
      expect(badgeOf(home.text)).toEqual({ count: 150, shown: '99+' });
      expect(titleOf(home.text)).toMatch(/^\(99\+\) /);
      expect(await current(a, 'unread_message_count')).toBe(150);
      expect(await listOf(a)).toEqual([{ peer: 'bob', snippet: 'flood 150', unread: 150 }]);
    });
  });

  describe('a thread', () => {
    it('should show both directions oldest first, escaped, and mark it read', async () => {
      const [alice, bob] = await users('alice', 'bob');
      const first = await send(bob, alice, '<b>hi</b> & "you"');
      const a = await browserOf('alice');
      // Replying from the thread: opening it read the first message.
      const reply = await a.submit('/conversations/bob', '/send_message/bob', {
        message: 'a reply',
      });
      expect(reply.status).toBe(302);
      expect(reply.headers.location).toBe('/conversations/bob');
      await sleep(3);
      const third = await send(bob, alice, 'third');
      const second = await t.dataSource
        .getRepository(Message)
        .findOneByOrFail({ senderId: alice.id });
      expect(await current(a, 'unread_message_count')).toBe(1);

      const page = await a.get('/conversations/bob');
      expect(page.status).toBe(200);
      const items = messageItems(page.text);
      expect(items.map((m) => [m.id, m.body, m.mine])).toEqual([
        [first.id, '<b>hi</b> & "you"', false],
        [second.id, 'a reply', true],
        [third.id, 'third', false],
      ]);
      expect(page.text).toContain('&lt;b&gt;hi&lt;/b&gt; &amp; &quot;you&quot;');
      expect(page.text).not.toContain('<b>hi</b>');
      expect(page.text).toMatch(/<form[^>]*action="\/send_message\/bob"[^>]*id="reply-form"/);
      expect(page.text).not.toContain('id="cannot-reply"');

      expect(badgeOf(page.text).count).toBe(0);
      expect(await current(a, 'unread_message_count')).toBe(0);

      // Bob sees the same exchange, the other way round.
      const bobs = messageItems((await (await browserOf('bob')).get('/conversations/alice')).text);
      expect(bobs.map((m) => [m.id, m.mine])).toEqual([
        [first.id, true],
        [second.id, false],
        [third.id, true],
      ]);
    });

    it("should keep a message's line breaks exactly on every page that shows it", async () => {
      const [alice, bob] = await users('alice', 'bob');
      const body = 'line one\nline two\n  indented three';
      const a = await browserOf('alice');
      expect((await sendVia(a, 'bob', body)).status).toBe(302);
      const stored = await t.dataSource.getRepository(Message).findOneByOrFail({});
      expect(stored.body).toBe(body);
      expect([alice.id, bob.id]).toContain(stored.senderId);
      const b = await browserOf('bob');
      const pages: [string, BrowserSession, string][] = [
        ["the sender's thread", a, '/conversations/bob'],
        ["the recipient's thread", b, '/conversations/alice'],
        ['the live fragment', b, '/conversations/alice/messages?after=0'],
        ['the inbox', b, '/messages'],
        ['the sent view', a, '/messages/sent'],
      ];
      // As it is in the page, with the text's own line breaks and spaces and no others: the
      // stylesheet shows them (pre-wrap).
      const shown: Record<string, string[]> = {};
      for (const [where, session, path] of pages) {
        shown[where] = messageItems((await session.get(path)).text).map((m) => m.rawBody);
      }
      expect(shown).toEqual(Object.fromEntries(pages.map(([where]) => [where, [body]])));
      const css = await request(t.app.getHttpServer()).get('/static/css/app.css');
      expect(css.text).toMatch(/\.message-body\s*\{[^}]*white-space:\s*pre-wrap/);
    });

    it('should answer 404 for an unknown user and 400 for oneself', async () => {
      await users('alice');
      const a = await browserOf('alice');
      for (const path of ['/conversations/nobody', '/conversations/nobody/messages?after=0']) {
        expect([path, (await a.get(path)).status]).toEqual([path, 404]);
      }
      for (const path of ['/conversations/alice', '/conversations/alice/messages?after=0']) {
        expect([path, (await a.get(path)).status]).toEqual([path, 400]);
      }
    });

    it('should serve the messages after one as a fragment, by the thread’s own partial', async () => {
      const [alice, bob, carol] = await users('alice', 'bob', 'carol');
      const m1 = await send(bob, alice, 'm1');
      const m2 = await send(alice, bob, 'm2');
      const m3 = await send(bob, alice, 'm3 <i>x</i>');
      const m4 = await send(alice, bob, 'm4\nsecond line');
      const a = await browserOf('alice');
      const thread = messageItems((await a.get('/conversations/bob')).text);
      expect(thread.map((m) => m.id)).toEqual([m1.id, m2.id, m3.id, m4.id]);

      const res = await a.get(`/conversations/bob/messages?after=${m2.id}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      // A fragment: no layout around it.
      expect(res.text).not.toMatch(/<html|<nav|<body|id="message_count"/);
      const fragment = messageItems(res.text);
      expect(fragment.map((m) => m.id)).toEqual([m3.id, m4.id]);
      // The same markup, but for where the page puts it (each line's indentation) and the
      // relative time, read a moment apart ("now", "1 second ago").
      const markup = (html: string) =>
        withoutTokens(html)
          .replace(/^[ \t]+/gm, '')
          .replace(/(<time\b[^>]*>)[^<]*(<\/time>)/g, '$1$2');
      expect(fragment.map((m) => markup(m.html))).toEqual(
        thread.slice(2).map((m) => markup(m.html)),
      );

      const ids = async (after: string) =>
        messageItems((await a.get(`/conversations/bob/messages?after=${after}`)).text).map(
          (m) => m.id,
        );
      expect(await ids('0')).toEqual([m1.id, m2.id, m3.id, m4.id]);
      expect(await ids(String(m4.id))).toEqual([]);
      // Carol's exchange with bob has none of these.
      const c = await browserOf('carol');
      expect(messageItems((await c.get('/conversations/bob/messages?after=0')).text)).toEqual([]);
      expect(carol.id).toBeGreaterThan(0);

      for (const after of ['abc', '-1', '1.5', '', '1e3']) {
        const bad = await a.get(`/conversations/bob/messages?after=${after}`);
        expect([after, bad.status]).toEqual([after, 400]);
      }
    });

    it('should mark what the fragment brings read, and tell the sender', async () => {
      const [alice, bob] = await users('alice', 'bob');
      const m1 = await send(bob, alice, 'one');
      const a = await browserOf('alice');
      await a.get('/conversations/bob');
      const bobStream = await streamOf(bob);
      const m2 = await send(bob, alice, 'two');
      expect(await current(a, 'unread_message_count')).toBe(1);

      const res = await a.get(`/conversations/bob/messages?after=${m1.id}`);
      expect(messageItems(res.text).map((m) => m.id)).toEqual([m2.id]);
      expect(await current(a, 'unread_message_count')).toBe(0);
      await bobStream.waitFor((c) => eventsNamed(c, 'conversation_seen').length === 1);
      expect(eventsNamed(bobStream, 'conversation_seen')).toEqual([
        { peer: 'alice', at: expect.any(Number) },
      ]);
    });
  });

  describe('the inbox and the sent view', () => {
    it('should list everything received newest first, mark all read and show "New" on what was unread', async () => {
      const [alice, bob, carol] = await users('alice', 'bob', 'carol');
      const m1 = await send(bob, alice, 'bob old');
      await send(alice, bob, 'not received');
      const a = await browserOf('alice');
      await a.get('/conversations/bob');
      const m2 = await send(bob, alice, 'bob new');
      const m3 = await send(carol, alice, 'carol new');
      expect(await current(a, 'unread_message_count')).toBe(2);

      const inbox = await a.get('/messages');
      expect(inbox.status).toBe(200);
      const items = messageItems(inbox.text);
      expect(items.map((m) => [m.id, m.body, m.person, m.isNew])).toEqual([
        [m3.id, 'carol new', 'carol', true],
        [m2.id, 'bob new', 'bob', true],
        [m1.id, 'bob old', 'bob', false],
      ]);
      expect(inbox.text.match(/>\s*New\s*<\/span>/g)).toHaveLength(2);
      expect(badgeOf(inbox.text).count).toBe(0);
      expect(await current(a, 'unread_message_count')).toBe(0);
      expect((await listOf(a)).map((row) => row.unread)).toEqual([0, 0]);

      const again = await a.get('/messages');
      expect(messageItems(again.text).map((m) => [m.id, m.isNew])).toEqual([
        [m3.id, false],
        [m2.id, false],
        [m1.id, false],
      ]);
      expect(again.text).not.toMatch(/>\s*New\s*<\/span>/);
    });

    it('should list one’s sent messages newest first with their recipients, and send to the conversation', async () => {
      const [alice, bob] = await users('alice', 'bob', 'carol');
      const a = await browserOf('alice');
      for (const [to, body] of [
        ['bob', 's1'],
        ['carol', 's2'],
        ['bob', 's3'],
      ]) {
        const res = await sendVia(a, to, body);
        expect([body, res.status, res.headers.location]).toEqual([
          body,
          302,
          `/conversations/${to}`,
        ]);
        await sleep(3);
      }
      await send(bob, alice, 'received, not sent');
      const sent = await a.get('/messages/sent');
      expect(sent.status).toBe(200);
      expect(messageItems(sent.text).map((m) => [m.body, m.person])).toEqual([
        ['s3', 'bob'],
        ['s2', 'carol'],
        ['s1', 'bob'],
      ]);
      expect(sent.text).not.toContain('received, not sent');
    });
  });

  describe('deleting a message', () => {
    async function exchange() {
      const [alice, bob, carol] = await users('alice', 'bob', 'carol');
      const hello = await send(bob, alice, 'hello');
      const first = await send(alice, bob, 'first');
      const second = await send(alice, bob, 'second');
      return { alice, bob, carol, hello, first, second };
    }

    const deleteAs = (session: BrowserSession, id: number, formPage = '/conversations') =>
      session.submit(formPage, `/messages/${id}/delete`, {});

    it('should delete one’s own message for both sides, correct the count and tell both', async () => {
      const { alice, bob, first, second } = await exchange();
      const a = await browserOf('alice');
      const b = await browserOf('bob');
      expect(await current(b, 'unread_message_count')).toBe(2);
      const [aliceStream, bobStream] = await Promise.all([alice, bob].map(streamOf));

      const res = await deleteAs(a, second.id, '/conversations/bob');
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/conversations/bob');
      expect(await t.dataSource.getRepository(Message).countBy({ id: second.id })).toBe(0);

      await bobStream.waitFor((c) => eventsNamed(c, 'message_deleted').length === 1);
      expect(eventsNamed(bobStream, 'unread_message_count')).toEqual([1]);
      expect(eventsNamed(bobStream, 'message_deleted')).toEqual([{ id: second.id, peer: 'alice' }]);
      await aliceStream.waitFor((c) => eventsNamed(c, 'message_deleted').length === 1);
      expect(eventsNamed(aliceStream, 'message_deleted')).toEqual([{ id: second.id, peer: 'bob' }]);
      expect(await current(b, 'unread_message_count')).toBe(1);
      expect(badgeOf((await b.get('/')).text).count).toBe(1);

      // The lists fall back to the newest message left.
      expect(await listOf(b)).toEqual([{ peer: 'alice', snippet: 'first', unread: 1 }]);
      expect(await listOf(a)).toEqual([{ peer: 'bob', snippet: 'You: first', unread: 0 }]);
      const aliceThread = messageItems((await a.get('/conversations/bob')).text);
      expect(aliceThread.map((m) => m.body)).toEqual(['hello', 'first']);
      const bobThread = messageItems((await b.get('/conversations/alice')).text);
      expect(bobThread.map((m) => m.id)).toEqual(aliceThread.map((m) => m.id));
      const inbox = await b.get('/messages');
      expect(messageItems(inbox.text).map((m) => m.id)).toEqual([first.id]);
      expect(messageItems((await a.get('/messages/sent')).text).map((m) => m.id)).toEqual([
        first.id,
      ]);
    });

    it("should answer 404 for someone else's message, or one that is not there, and delete nothing", async () => {
      const { hello, first } = await exchange();
      const b = await browserOf('bob');
      const c = await browserOf('carol');
      const before = await storedNotifications();
      // Bob received "first" and sent "hello"; carol has nothing to do with either.
      expect((await deleteAs(b, first.id)).status).toBe(404);
      expect((await deleteAs(c, first.id)).status).toBe(404);
      expect((await deleteAs(c, hello.id)).status).toBe(404);
      expect((await deleteAs(b, 999_999)).status).toBe(404);
      expect(await t.dataSource.getRepository(Message).count()).toBe(3);
      expect(await storedNotifications()).toEqual(before);
      expect(await current(b, 'unread_message_count')).toBe(2);
    });

    it('should refuse a delete without a CSRF token with 403', async () => {
      const { second } = await exchange();
      const a = await browserOf('alice');
      const res = await a.agent
        .post(`/messages/${second.id}/delete`)
        .set('Accept', 'text/html')
        .type('form')
        .send({});
      expect(res.status).toBe(403);
      expect(await t.dataSource.getRepository(Message).countBy({ id: second.id })).toBe(1);
    });
  });
});

// An app with two to a page, started once the one above has closed.
describe('Conversations, paged (e2e)', () => {
  let small: TestApp;

  beforeAll(async () => {
    small = await createTestApp({ POSTS_PER_PAGE: '2' });
  });

  afterAll(() => small.close());

  afterEach(() => clearDatabase(small.dataSource));

  it('should page the list, newest activity first, each conversation on one page', async () => {
    const [alice, ...peers] = await Promise.all(
      ['alice', 'p1', 'p2', 'p3', 'p4', 'p5'].map((name) => createUser(small.app, name)),
    );
    for (const peer of peers) {
      await small.app.get(MessagesService).send(peer, alice, `from ${peer.username}`);
      await sleep(3);
    }
    const a = new BrowserSession(small.app);
    await a.login('alice', DEFAULT_PASSWORD);
    const pages = [];
    for (const page of [1, 2, 3]) {
      const res = await a.get(`/conversations?page=${page}`);
      expect(res.status).toBe(200);
      pages.push(conversationRows(res.text).map((row) => row.peer));
    }
    expect(pages).toEqual([['p5', 'p4'], ['p3', 'p2'], ['p1']]);
    const first = await a.get('/conversations');
    expect(first.text).toContain('href="/conversations?page&#x3D;2"');
    const past = await a.get('/conversations?page=4');
    expect(conversationRows(past.text)).toEqual([]);
    expect(past.text).not.toContain('id="no-conversations"');
    expect(past.text).toContain('href="/conversations?page&#x3D;1"');
  });

  it('should page a thread: page 1 the newest, each page oldest first', async () => {
    const [alice, bob] = await Promise.all(
      ['alice', 'bob'].map((name) => createUser(small.app, name)),
    );
    const messages = small.app.get(MessagesService);
    const ids: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const [from, to] = i % 2 ? [bob, alice] : [alice, bob];
      ids.push((await messages.send(from, to, `m${i}`)).id);
      await sleep(3);
    }
    const a = new BrowserSession(small.app);
    await a.login('alice', DEFAULT_PASSWORD);
    const page = async (n: number) =>
      messageItems((await a.get(`/conversations/bob?page=${n}`)).text).map((m) => m.body);
    expect(await page(1)).toEqual(['m4', 'm5']);
    expect(await page(2)).toEqual(['m2', 'm3']);
    expect(await page(3)).toEqual(['m1']);
    const first = await a.get('/conversations/bob');
    expect(messageItems(first.text).map((m) => m.id)).toEqual(ids.slice(3));
    expect(first.text).toContain('href="/conversations/bob?page&#x3D;2"');
  });
});
