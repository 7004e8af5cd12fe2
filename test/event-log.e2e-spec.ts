import { ForbiddenException } from '@nestjs/common';
import { Block } from '../src/blocks/block.entity';
import { BlocksService } from '../src/blocks/blocks.service';
import { Conversation } from '../src/conversations/conversation.entity';
import { ReadMarksService } from '../src/conversations/read-marks.service';
import { Message } from '../src/messages/message.entity';
import { MessagesService } from '../src/messages/messages.service';
import { Event } from '../src/notifications/event.entity';
import { EventPrunerService } from '../src/notifications/event-pruner.service';
import { Notification } from '../src/notifications/notification.entity';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { statementsDuring } from './utils/query-log';
import { SseClient } from './utils/sse-client';
import { eventsBeforeMarker } from './utils/stream-marker';
import { createTestApp, TestApp } from './utils/test-app';

/** Statements that only open, close or mark a transaction: not work a send does. */
const TRANSACTION_CONTROL =
  /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SET TRANSACTION|SAVEPOINT|RELEASE)\b/i;

/** Set, not assumed: createTestApp writes its env into process.env, where another app's stays. */
const DEFAULT_RETENTION = { EVENT_RETENTION_DAYS: '7', EVENT_RETENTION_PER_USER: '10000' };
const CAP = 10;

/** A user's stored log, oldest first: [seq, name, data]. */
async function logOf(t: TestApp, user: User): Promise<[number, string, unknown][]> {
  const rows = await t.dataSource
    .getRepository(Event)
    .find({ where: { userId: user.id }, order: { seq: 'ASC' } });
  return rows.map((row) => [row.seq, row.name, JSON.parse(row.payloadJson)]);
}

/** The work's SQL statements, without transaction control. */
async function workStatements(t: TestApp, work: () => Promise<unknown>): Promise<string[]> {
  const all = await statementsDuring(t.dataSource, work);
  return all.filter((sql) => !TRANSACTION_CONTROL.test(sql));
}

/** At most `max` statements; a failure lists every one of them. */
function expectAtMost(statements: string[], max: number): void {
  expect(statements.length <= max ? `at most ${max}` : statements).toBe(`at most ${max}`);
}

/** The order, ids and repeats of what a stream got: each id later than the one before. */
function expectStrictlyIncreasing(client: SseClient): void {
  const ids = client.events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  client.events.slice(1).forEach((event, i) => {
    const before = client.events[i];
    const later =
      event.seq > before.seq ||
      (event.seq === before.seq && event.announcement > before.announcement);
    expect([before.id, event.id, later]).toEqual([before.id, event.id, true]);
  });
}

/**
 * The event log end to end: a stream that was away gets every event it missed, in order and
 * once; a cursor the log no longer holds gets `reset`; pruning runs beside sends; a send is
 * small; a send racing a block is stored before it or refused.
 */
describe('Event log (e2e)', () => {
  const open: SseClient[] = [];

  const connect = async (t: TestApp, user: User, headers: Record<string, string> = {}) => {
    const client = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: await authCookieFor(t.app, user),
      ...headers,
    });
    open.push(client);
    expect(client.response.statusCode).toBe(200);
    return client;
  };

  const browserOf = async (t: TestApp, username: string) => {
    const session = new BrowserSession(t.app);
    await session.login(username, DEFAULT_PASSWORD);
    return session;
  };

  afterEach(() => open.splice(0).forEach((client) => client.close()));

  describe('with the default retention', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(DEFAULT_RETENTION, { listen: true });
    });

    afterAll(() => t.close());

    afterEach(() => clearDatabase(t.dataSource));

    it('should replay to a stream that was away every event about both peers, in order, each once', async () => {
      const [xavier] = await Promise.all(
        ['xavier', 'anna', 'boris'].map((name) => createUser(t.app, name)),
      );
      const [x, a, b] = await Promise.all(
        ['xavier', 'anna', 'boris'].map((name) => browserOf(t, name)),
      );
      const sendVia = (session: BrowserSession, to: string, message: string) =>
        session.submit(`/send_message/${to}`, `/send_message/${to}`, { message });
      const deleteVia = (session: BrowserSession, id: number) =>
        session.submit('/conversations', `/messages/${id}/delete`, {});
      const messageCalled = (body: string) =>
        t.dataSource.getRepository(Message).findOneByOrFail({ body });

      // Xavier's page is open while he writes to both: his stream has his two events.
      const first = await connect(t, xavier);
      expect((await sendVia(x, 'anna', 'x to anna')).status).toBe(302);
      expect((await sendVia(x, 'boris', 'x to boris')).status).toBe(302);
      await first.waitFor((s) => s.events.length === 2);
      expect(first.events.map((e) => [e.id, e.name])).toEqual([
        ['1:0', 'new_message'],
        ['2:0', 'new_message'],
      ]);
      const cursor = first.lastEventId;
      first.close();

      // Meanwhile, with no stream of his open:
      expect((await sendVia(a, 'xavier', 'anna to x')).status).toBe(302);
      expect((await sendVia(b, 'xavier', 'boris to x')).status).toBe(302);
      const fromAnna = await messageCalled('anna to x');
      const fromBoris = await messageCalled('boris to x');
      expect((await deleteVia(a, fromAnna.id)).status).toBe(302);
      expect((await deleteVia(b, fromBoris.id)).status).toBe(302);
      // Each opens the conversation, where Xavier's message is unread: "Seen" for him.
      expect((await a.get('/conversations/xavier')).status).toBe(200);
      expect((await b.get('/conversations/xavier')).status).toBe(200);

      const resumed = await connect(t, xavier, { 'Last-Event-ID': cursor });
      await resumed.waitFor((s) => s.events.length >= 10);
      const seen = { at: expect.any(Number) };
      expect(resumed.events.map((e) => [e.id, e.name, e.data])).toEqual([
        ['3:0', 'unread_message_count', 1],
        ['4:0', 'new_message', { id: fromAnna.id, peer: 'anna' }],
        ['5:0', 'unread_message_count', 2],
        ['6:0', 'new_message', { id: fromBoris.id, peer: 'boris' }],
        ['7:0', 'unread_message_count', 1],
        ['8:0', 'message_deleted', { id: fromAnna.id, peer: 'anna' }],
        ['9:0', 'unread_message_count', 0],
        ['10:0', 'message_deleted', { id: fromBoris.id, peer: 'boris' }],
        ['11:0', 'conversation_seen', { peer: 'anna', ...seen }],
        ['12:0', 'conversation_seen', { peer: 'boris', ...seen }],
      ]);
      expectStrictlyIncreasing(resumed);
      expect(resumed.frames.some((f) => f.event === 'reset')).toBe(false);
      // Nothing else, and nothing twice: a later marker finds only these before it.
      const [beforeMarker] = await eventsBeforeMarker(t.app, resumed);
      expect(beforeMarker.map((e) => e.id)).toEqual(resumed.events.slice(0, 10).map((e) => e.id));
      expect((await logOf(t, xavier)).map(([seq]) => seq)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      expect(await t.dataSource.getRepository(Message).count()).toBe(2);
    });

    it('should send a message in at most 8 statements, the first of a conversation or a later one', async () => {
      const [pia, quinn] = await Promise.all(['pia', 'quinn'].map((n) => createUser(t.app, n)));
      const messages = t.app.get(MessagesService);

      const first = await workStatements(t, () => messages.send(pia, quinn, 'first'));
      const later = await workStatements(t, () => messages.send(pia, quinn, 'later'));
      const reply = await workStatements(t, () => messages.send(quinn, pia, 'reply'));

      expectAtMost(first, 8);
      expectAtMost(later, 8);
      expectAtMost(reply, 8);
      // The statements measured are the sends: each stored its message and its events.
      for (const statements of [first, later, reply]) {
        expect(statements.some((sql) => /INSERT INTO [`"]?messages/i.test(sql))).toBe(true);
        expect(statements.some((sql) => /INSERT INTO [`"]?events/i.test(sql))).toBe(true);
      }
      const stored = await t.dataSource.getRepository(Message).find({ order: { id: 'ASC' } });
      expect(stored.map((m) => m.body)).toEqual(['first', 'later', 'reply']);
      const conversations = await t.dataSource.getRepository(Conversation).find();
      expect(conversations.map((c) => [c.userId, c.unreadCount]).sort()).toEqual(
        [
          [pia.id, 1],
          [quinn.id, 2],
        ].sort(),
      );
    });

    it('should store a send racing a block only before the block, else refuse it with 403 and store nothing', async () => {
      const messages = t.app.get(MessagesService);
      const blocks = t.app.get(BlocksService);
      const readMarks = t.app.get(ReadMarksService);
      const outcomes = { stored: 0, refused: 0 };

      for (let i = 0; i < 30; i++) {
        const [sender, blocker] = await Promise.all([
          createUser(t.app, `sender${i}`),
          createUser(t.app, `blocker${i}`),
        ]);
        // Called directly: the check before the transaction (findRecipient) can't help.
        const send = () => messages.send(sender, blocker, `race ${i}`);
        const block = () => blocks.block(blocker, sender);
        // Either may start first; both race for the blocker's row lock.
        const [sent, blocked] =
          i % 2 === 0
            ? await Promise.allSettled([send(), block()])
            : await Promise.allSettled([block(), send()]).then(([b, s]) => [s, b] as const);

        expect([i, blocked.status]).toEqual([i, 'fulfilled']);
        const blockRow = await t.dataSource
          .getRepository(Block)
          .findOneByOrFail({ blockerId: blocker.id, blockedId: sender.id });
        const stored = await t.dataSource
          .getRepository(Message)
          .findBy({ senderId: sender.id, recipientId: blocker.id });
        const log = await logOf(t, blocker);

        if (sent.status === 'fulfilled') {
          outcomes.stored++;
          expect([i, stored.map((m) => m.id)]).toEqual([i, [sent.value.id]]);
          // In the blocker's commit order the message comes before the block, whose count
          // leaves it out.
          expect([i, log]).toEqual([
            i,
            [
              [1, 'unread_message_count', 1],
              [2, 'new_message', { id: sent.value.id, peer: sender.username }],
              [3, 'unread_message_count', 0],
            ],
          ]);
          expect(stored[0].timestamp.getTime()).toBeLessThanOrEqual(blockRow.createdAt.getTime());
        } else {
          outcomes.refused++;
          const reason: unknown = sent.reason;
          expect([i, reason instanceof ForbiddenException && reason.getStatus()]).toEqual([i, 403]);
          expect([i, stored]).toEqual([i, []]);
          expect([i, log]).toEqual([i, [[1, 'unread_message_count', 0]]]);
          expect([i, await logOf(t, sender)]).toEqual([i, []]);
          expect(
            await t.dataSource.getRepository(Conversation).countBy({ userId: blocker.id }),
          ).toBe(0);
        }
        expect([i, await readMarks.unreadCount(blocker)]).toEqual([i, 0]);
        const state = await t.dataSource
          .getRepository(Notification)
          .findOneByOrFail({ userId: blocker.id, name: 'unread_message_count' });
        expect([i, state.payload]).toEqual([i, 0]);
      }
      // Both orders happened: the race was run, not one side always first.
      expect(outcomes.stored).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
    });
  });

  describe(`with a retention of ${CAP} events per user`, () => {
    let t: TestApp;
    const saved = process.env.EVENT_RETENTION_PER_USER;

    beforeAll(async () => {
      t = await createTestApp(
        { EVENT_RETENTION_DAYS: '7', EVENT_RETENTION_PER_USER: String(CAP) },
        { listen: true },
      );
    });

    afterAll(async () => {
      await t.close();
      // createTestApp writes its env into process.env: later apps get the default again.
      if (saved === undefined) {
        delete process.env.EVENT_RETENTION_PER_USER;
      } else {
        process.env.EVENT_RETENTION_PER_USER = saved;
      }
    });

    afterEach(() => clearDatabase(t.dataSource));

    it('should send one reset then the state to a cursor the log no longer holds, then go live; a held cursor replays', async () => {
      const [xavier, boris] = await Promise.all(
        ['xavier', 'boris'].map((name) => createUser(t.app, name)),
      );
      const messages = t.app.get(MessagesService);
      const first = await connect(t, xavier);
      await messages.send(boris, xavier, 'one');
      await first.waitFor((s) => s.events.length === 2);
      const cursor = first.lastEventId;
      expect(cursor).toBe('2:0');
      first.close();

      for (let i = 2; i <= 10; i++) {
        await messages.send(boris, xavier, `message ${i}`);
      }
      // 20 events: the pass keeps the newest 10 (11..20).
      expect(await t.app.get(EventPrunerService).prune()).toBe(10);
      expect((await logOf(t, xavier)).map(([seq]) => seq)).toEqual(
        Array.from({ length: CAP }, (_, i) => 11 + i),
      );

      const reset = await connect(t, xavier, { 'Last-Event-ID': cursor });
      await reset.waitFor((s) => s.states.length === 1);
      // The client's own cursor, then one reset at the current position, then the state.
      expect(reset.frames.filter((f) => f.comment === undefined)).toEqual([
        { id: cursor, retry: expect.any(String) },
        { event: 'reset', id: '20:0', data: '{}' },
        { event: 'state', id: '20:0', data: expect.any(String) },
      ]);
      expect(reset.states.map((e) => [e.name, e.data])).toEqual([['unread_message_count', 10]]);

      // Later events go live from there: none of the retained ones, nothing twice.
      const eleventh = await messages.send(boris, xavier, 'eleven');
      await reset.waitFor((s) => s.events.length === 2);
      const [live] = await eventsBeforeMarker(t.app, reset);
      expect(live.map((e) => [e.id, e.name, e.data])).toEqual([
        ['21:0', 'unread_message_count', 11],
        ['22:0', 'new_message', { id: eleventh.id, peer: 'boris' }],
      ]);
      expect(reset.frames.filter((f) => f.event === 'reset')).toHaveLength(1);

      // The oldest cursor the log still follows on replays with no reset, the marker
      // announcement in its place; one before it resets.
      const held = await connect(t, xavier, { 'Last-Event-ID': '10:0' });
      await held.waitFor((s) => s.events.length >= 13);
      expect(held.events.map((e) => e.id)).toEqual([
        ...Array.from({ length: 12 }, (_, i) => `${11 + i}:0`),
        '22:1',
      ]);
      expectStrictlyIncreasing(held);
      const gone = await connect(t, xavier, { 'Last-Event-ID': '9:0' });
      await gone.waitFor((s) => s.states.length >= 1);
      const [heldSeen, goneSeen] = await eventsBeforeMarker(t.app, held, gone);
      expect(heldSeen).toHaveLength(13);
      expect(held.frames.some((f) => f.event === 'reset')).toBe(false);
      expect(goneSeen).toEqual([]);
      expect(gone.frames.filter((f) => f.event === 'reset').map((f) => f.id)).toEqual(['22:1']);
    });

    it('should keep every send and its counts while pruning runs alongside, and leave each log at the cap', async () => {
      const people = await Promise.all(
        Array.from({ length: 5 }, (_, i) => createUser(t.app, `user${i}`)),
      );
      const messages = t.app.get(MessagesService);
      const pruner = t.app.get(EventPrunerService);
      const sends = 100;
      const lanes = 10;

      let sending = true;
      const whileSending = { passes: 0, deleted: 0 };
      const pruning = (async () => {
        while (sending) {
          const deleted = await pruner.prune();
          if (sending) {
            whileSending.passes++;
            whileSending.deleted += deleted;
          }
        }
      })();
      // 10 lanes of 10 sends each, all lanes at once: pruning's transactions fall between
      // sends on both dialects (SQLite queues transactions in call order).
      const sent = await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          const done: Message[] = [];
          for (let n = lane; n < sends; n += lanes) {
            const from = people[n % 5];
            const to = people[((n % 5) + 1 + (Math.floor(n / 5) % 4)) % 5];
            done.push(await messages.send(from, to, `m${n}`));
          }
          return done;
        }),
      ).finally(() => (sending = false));
      await pruning;
      await pruner.prune();

      expect(whileSending.passes).toBeGreaterThan(0);
      expect(whileSending.deleted).toBeGreaterThan(0);
      const stored = await t.dataSource.getRepository(Message).find();
      expect(stored).toHaveLength(sends);
      expect(new Set(stored.map((m) => m.id))).toEqual(new Set(sent.flat().map((m) => m.id)));

      const users = await t.dataSource.getRepository(User).findBy({});
      const conversations = await t.dataSource.getRepository(Conversation).find();
      const states = await t.dataSource
        .getRepository(Notification)
        .findBy({ name: 'unread_message_count' });
      for (const user of users) {
        const received = stored.filter((m) => m.recipientId === user.id);
        const own = conversations.filter((c) => c.userId === user.id);
        // Per conversation, and summed: nothing was read, so every message counts.
        for (const c of own) {
          const fromPeer = received.filter((m) => m.senderId === c.peerId).length;
          expect([user.username, c.peerId, c.unreadCount]).toEqual([
            user.username,
            c.peerId,
            fromPeer,
          ]);
        }
        const sum = own.reduce((total, c) => total + c.unreadCount, 0);
        expect([user.username, sum]).toEqual([user.username, received.length]);
        const state = states.find((s) => s.userId === user.id);
        expect([user.username, state?.payload]).toEqual([user.username, received.length]);
        // Every event numbered: two per message received, one per message sent...
        const sentCount = stored.filter((m) => m.senderId === user.id).length;
        expect([user.username, user.eventSeq]).toEqual([
          user.username,
          2 * received.length + sentCount,
        ]);
        // ...and the log holds exactly the newest CAP of them.
        expect([user.username, (await logOf(t, user)).map(([seq]) => seq)]).toEqual([
          user.username,
          Array.from({ length: CAP }, (_, i) => user.eventSeq - CAP + 1 + i),
        ]);
      }
    });
  });
});
