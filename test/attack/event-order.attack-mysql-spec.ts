import { ReadMarksService } from '../../src/conversations/read-marks.service';
import { MessagesService } from '../../src/messages/messages.service';
import { TransactionService } from '../../src/database/transaction.service';
import { NotificationBus, StreamEvent } from '../../src/notifications/bus/notification-bus';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { User } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';
import { authCookieFor, createUser } from '../factories/user.factory';
import { clearDatabase } from '../utils/clear-database';
import { SseClient } from '../utils/sse-client';
import { createTestApp, TestApp } from '../utils/test-app';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Out-of-order commits on MariaDB. With an auto-increment id as the cursor, a transaction that
 * took its number first and committed last was skipped by a client that resumed in between
 * (it already had a higher id). Here a user's events are numbered under the user's row lock,
 * so the order of numbers is the order of commits: a client resuming while one transaction
 * holds the lock and another waits for it gets every event once, in commit order, even when
 * the fan-out hands them over in another order.
 */
describe('Attack: events committed out of their insert order (MariaDB locks)', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  let dave: User;
  let bobCookie: string;
  const open: SseClient[] = [];
  /** Lets a held transaction commit, should the test fail before it does. */
  const release: (() => void)[] = [];

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((name) => createUser(t.app, name)),
    );
    bobCookie = await authCookieFor(t.app, bob);
  });

  afterEach(async () => {
    release.splice(0).forEach((commit) => commit());
    jest.restoreAllMocks();
    open.splice(0).forEach((c) => c.close());
    await clearDatabase(t.dataSource);
  });

  async function position(user: User) {
    const [row] = await t.dataSource.query<{ seq: number; ann: number }[]>(
      `SELECT u.event_seq AS seq, a.last_seq AS ann
       FROM users u CROSS JOIN announcement_sequence a WHERE u.id = ?`,
      [user.id],
    );
    return { seq: Number(row.seq), ann: Number(row.ann) };
  }

  /**
   * A stream of bob's, once it has its state (and so its position). The cookie is issued
   * beforehand: starting a session writes a row that waits for a lock on bob's.
   */
  async function stream(lastEventId?: string) {
    const client = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: bobCookie,
      ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
    });
    open.push(client);
    expect(client.response.statusCode).toBe(200);
    await client.waitFor((c) => c.states.length > 0);
    return client;
  }

  /**
   * Statements of this test's database running a locking read of users rows other than this
   * one: the transaction holding the lock is idle, so one that runs is one that waits.
   * (INNODB_TRX does not list a transaction that has only asked for a lock on MariaDB.)
   */
  async function lockWaits(): Promise<number> {
    const [row] = await t.dataSource.query<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
       WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND = 'Query'
       AND INFO LIKE '%FROM \`users\`%FOR UPDATE'`,
    );
    return Number(row.n);
  }

  /** Until a transaction has waited for a lock for 100 ms. */
  async function untilALockWait() {
    const deadline = Date.now() + 5000;
    let since: number | null = null;
    while (since === null || Date.now() - since < 100) {
      if (Date.now() > deadline) {
        throw new Error('the second transaction never waited for the lock');
      }
      since = (await lockWaits()) > 0 ? (since ?? Date.now()) : null;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** An announcement every stream gets after everything before it: the end of a scenario. */
  async function marker(...clients: SseClient[]) {
    await t.app.get(NotificationsService).announce('announcement', { marker: true });
    const at = await position(bob);
    for (const client of clients) {
      await client
        .waitFor((c) => c.lastEventId === `${at.seq}:${at.ann}`, 5000)
        .catch(() => undefined);
    }
    return at;
  }

  const sent = (client: SseClient) =>
    client.events.map((e) => {
      const peer = (e.data as { peer?: string } | null)?.peer;
      return `${e.id} ${e.name}${peer ? ` ${peer}` : ''}`;
    });

  /** Bob's log rows: number, insert order (id) and what they are. */
  const bobsLog = async (after: number) =>
    (
      await t.dataSource.query<{ id: number; seq: number; name: string }[]>(
        'SELECT id, seq, name FROM events WHERE user_id = ? AND seq > ? ORDER BY seq',
        [bob.id, after],
      )
    ).map((r) => ({ id: Number(r.id), seq: Number(r.seq), name: r.name }));

  it('should number in commit order: the transaction holding the lock first, the one waiting for it next', async () => {
    const messages = t.app.get(MessagesService);
    await messages.send(alice, bob, 'warm-up: bob has state');
    const live = await stream();
    const before = await position(bob);
    expect(live.lastEventId).toBe(`${before.seq}:${before.ann}`);

    // A: locks bob, appends an event to his log, and stays open.
    const appended = deferred();
    const commitA = deferred();
    release.push(commitA.resolve);
    const committed: string[] = [];
    const a = t.app.get(TransactionService).run(async (tx) => {
      const locked = await t.app.get(UsersService).lockAllForUpdate(tx.manager, [bob.id]);
      await t.app
        .get(NotificationsService)
        .record(tx, locked, [
          { userId: bob.id, name: 'new_message', data: { id: 0, peer: 'held' } },
        ]);
      tx.afterCommit(() => committed.push('A'));
      appended.resolve();
      await commitA.promise;
    });
    await appended.promise;
    // B: carol writes to bob, and waits for bob's row.
    const b = messages.send(carol, bob, 'waits for the lock').then((m) => {
      committed.push('B');
      return m;
    });
    await untilALockWait();
    expect(committed).toEqual([]);

    // A client resumes in between: nothing of either is committed yet.
    const resumed = await stream(live.lastEventId);
    expect(resumed.events).toEqual([]);

    commitA.resolve();
    await a;
    const message = await b;
    expect(committed).toEqual(['A', 'B']);
    const end = await marker(live, resumed);

    const { seq, ann } = before;
    const expected = [
      `${seq + 1}:${ann} new_message held`,
      `${seq + 2}:${ann} unread_message_count`,
      `${seq + 3}:${ann} new_message carol`,
      `${seq + 3}:${end.ann} announcement`,
    ];
    expect(sent(live)).toEqual(expected);
    expect(sent(resumed)).toEqual(expected);
    expect(resumed.events.find((e) => e.name === 'new_message' && e.seq === seq + 3)?.data).toEqual(
      { id: message.id, peer: 'carol' },
    );
    // Insert order, number order and commit order agree.
    const log = await bobsLog(seq);
    expect(log.map((r) => [r.seq, r.name])).toEqual([
      [seq + 1, 'new_message'],
      [seq + 2, 'unread_message_count'],
      [seq + 3, 'new_message'],
    ]);
    expect(log.map((r) => r.id)).toEqual([...log.map((r) => r.id)].sort((x, y) => x - y));
  });

  it("should keep two peers' events in commit order when the first to write commits last and the fan-out reverses them", async () => {
    const messages = t.app.get(MessagesService);
    const notifications = t.app.get(NotificationsService);
    await messages.send(bob, carol, 'carol has this unread');
    await messages.send(alice, bob, 'warm-up: bob has state');
    const live = await stream();
    const before = await position(bob);

    // The fan-out holds every event and hands them over last first, as another process
    // whose channel is slower might.
    const bus = t.app.get(NotificationBus);
    const publish = bus.publish.bind(bus);
    const held: [number, StreamEvent][] = [];
    jest.spyOn(bus, 'publish').mockImplementation((userId, event) => {
      held.push([userId, event]);
    });

    // 1: carol opens her conversation with bob: bob's "seen" is appended, then it stays open.
    const record = notifications.record.bind(notifications);
    const appended = deferred();
    const commit1 = deferred();
    release.push(commit1.resolve);
    jest.spyOn(notifications, 'record').mockImplementationOnce(async (tx, locked, events) => {
      await record(tx, locked, events);
      appended.resolve();
      await commit1.promise;
    });
    const seen = t.app.get(ReadMarksService).markRead(carol, bob);
    await appended.promise;
    // 2: dave writes to bob: under the old id order it would insert after 1 and commit first.
    const sentByDave = messages.send(dave, bob, 'from dave');
    await untilALockWait();

    const resumed = await stream(live.lastEventId);
    expect(resumed.events).toEqual([]);

    commit1.resolve();
    await seen;
    const message = await sentByDave;
    jest.mocked(bus.publish).mockRestore();
    held.reverse().forEach(([userId, event]) => publish(userId, event));
    const end = await marker(live, resumed);

    const { seq, ann } = before;
    const expected = [
      `${seq + 1}:${ann} conversation_seen carol`,
      `${seq + 2}:${ann} unread_message_count`,
      `${seq + 3}:${ann} new_message dave`,
      `${seq + 3}:${end.ann} announcement`,
    ];
    expect(sent(live)).toEqual(expected);
    expect(sent(resumed)).toEqual(expected);
    expect(live.events[2].data).toEqual({ id: message.id, peer: 'dave' });
    const log = await bobsLog(seq);
    expect(log.map((r) => [r.seq, r.name])).toEqual([
      [seq + 1, 'conversation_seen'],
      [seq + 2, 'unread_message_count'],
      [seq + 3, 'new_message'],
    ]);
    expect(log.map((r) => r.id)).toEqual([...log.map((r) => r.id)].sort((x, y) => x - y));
  });
});
