import { Follow } from '../../src/follows/follow.entity';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { Notification } from '../../src/notifications/notification.entity';
import { NotificationBus, StreamEvent } from '../../src/notifications/bus/notification-bus';
import {
  NotificationGroup,
  NotificationKind,
} from '../../src/notifications/notification-group.entity';
import { PostFanoutService } from '../../src/posts/post-fanout.service';
import { Post } from '../../src/posts/post.entity';
import { TransactionService, Tx } from '../../src/database/transaction.service';
import { User } from '../../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from '../factories/user.factory';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { clearDatabase } from '../utils/clear-database';
import { createTestApp, TestApp } from '../utils/test-app';

const USERS = 8;
const SENDERS = 64;
const SENDS_EACH = 8;

/**
 * Finding 14: users sending to each other at once, in both directions, on MariaDB. A send
 * locks rows of both users; taken in different orders, A->B and B->A deadlock and the server
 * aborts one of them (errno 1213). Every send must be stored and counted, none may fail.
 */
describe('Attack: concurrent sends in both directions (MariaDB locks)', () => {
  let t: TestApp;
  let users: User[];

  beforeAll(async () => {
    // Room for every sender's transaction at once, as a busy server would have.
    t = await createTestApp({ DB_POOL_SIZE: String(SENDERS) }, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    users = [];
    for (let i = 0; i < USERS; i++) {
      users.push(await createUser(t.app, `peer${i}`));
    }
  });

  afterEach(() => clearDatabase(t.dataSource));

  /** Every ordered pair of distinct users, repeated until there are SENDERS of them. */
  const senderPairs = () => {
    const pairs: [number, number][] = [];
    for (let from = 0; from < USERS; from++) {
      for (let to = 0; to < USERS; to++) {
        if (from !== to) {
          pairs.push([from, to]);
        }
      }
    }
    return Array.from({ length: SENDERS }, (_, i) => pairs[i % pairs.length]);
  };

  /** What the database holds must be exactly what was accepted, and every badge exact. */
  async function expectExactCounts(accepted: Map<number, number>) {
    const total = [...accepted.values()].reduce((a, b) => a + b, 0);
    expect(await t.dataSource.getRepository(Message).count()).toBe(total);
    for (const user of users) {
      const received = await t.dataSource.getRepository(Message).countBy({ recipientId: user.id });
      const rows = await t.dataSource
        .getRepository(Notification)
        .findBy({ userId: user.id, name: 'unread_message_count' });
      expect([user.username, received, rows.map((r) => r.payload)]).toEqual([
        user.username,
        accepted.get(user.id) ?? 0,
        [received],
      ]);
    }
  }

  it('should store and count every message sent through the HTTP form, with no error', async () => {
    const sessions = await Promise.all(
      users.map(async (user) => {
        const session = new BrowserSession(t.baseUrl);
        await session.login(user.username, DEFAULT_PASSWORD);
        const form = await session.get(`/send_message/${users[0] === user ? 'peer1' : 'peer0'}`);
        return { session, token: csrfTokenOf(form.text) };
      }),
    );
    const accepted = new Map<number, number>();
    const failures: string[] = [];

    await Promise.all(
      senderPairs().map(async ([from, to]) => {
        const { session, token } = sessions[from];
        for (let i = 0; i < SENDS_EACH; i++) {
          const res = await session.agent
            .post(`/send_message/${users[to].username}`)
            .set('Accept', 'text/html')
            .type('form')
            .send({ csrf_token: token, message: `from ${from} to ${to}, #${i}` });
          if (res.status === 302) {
            accepted.set(users[to].id, (accepted.get(users[to].id) ?? 0) + 1);
          } else {
            failures.push(`${from}->${to} #${i}: ${res.status}`);
          }
        }
      }),
    );

    expect(failures).toEqual([]);
    expect([...accepted.values()].reduce((a, b) => a + b, 0)).toBe(SENDERS * SENDS_EACH);
    await expectExactCounts(accepted);
  }, 120_000);

  it('should publish each committed count once, never one of an aborted attempt', async () => {
    const published: { userId: number; event: StreamEvent }[] = [];
    const bus = t.app.get(NotificationBus);
    const publish = jest
      .spyOn(bus, 'publish')
      .mockImplementation((userId, event) => void published.push({ userId, event }));
    const messages = t.app.get(MessagesService);
    const accepted = new Map<number, number>();
    try {
      // SENDERS concurrent senders, each sending its messages one after the other.
      const results = await Promise.allSettled(
        senderPairs().map(async ([from, to]) => {
          for (let i = 0; i < SENDS_EACH; i++) {
            await messages.send(users[from], users[to], `from ${from} to ${to}, #${i}`);
            accepted.set(users[to].id, (accepted.get(users[to].id) ?? 0) + 1);
          }
        }),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    } finally {
      publish.mockRestore();
    }

    await expectExactCounts(accepted);
    // Per send, one count for its recipient and one new_message for each side, each numbered
    // in its user's log, none twice; each user's last count event carries the final count.
    const named = (name: string) => published.filter((p) => p.event.name === name);
    expect(named('unread_message_count')).toHaveLength(SENDERS * SENDS_EACH);
    expect(named('new_message')).toHaveLength(2 * SENDERS * SENDS_EACH);
    expect(published).toHaveLength(3 * SENDERS * SENDS_EACH);
    expect(new Set(published.map((p) => `${p.userId}:${p.event.seq}`)).size).toBe(published.length);
    // Each user's events are numbered 1..n with no gap: every number went to a committed event.
    for (const user of users) {
      const seqs = published.filter((p) => p.userId === user.id).map((p) => p.event.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i + 1));
    }
    const announced = new Map<number, number[]>();
    for (const { userId, event } of named('new_message')) {
      const { id } = (JSON.parse(event.json) as { data: { id: number } }).data;
      announced.set(
        id,
        [...(announced.get(id) ?? []), userId].sort((a, b) => a - b),
      );
    }
    const stored = await t.dataSource.getRepository(Message).find();
    expect(
      new Map(stored.map((m) => [m.id, [m.senderId, m.recipientId].sort((a, b) => a - b)])),
    ).toEqual(announced);
    for (const user of users) {
      const events = named('unread_message_count')
        .filter((p) => p.userId === user.id)
        .map((p) => p.event);
      const newest = events.reduce((a, b) => (b.seq > a.seq ? b : a));
      expect((JSON.parse(newest.json) as { data: unknown }).data).toBe(accepted.get(user.id));
    }
  }, 120_000);

  it('should store and count every follow, unfollow and mentioning post made at once through the HTTP forms, with no error', async () => {
    // Each user follows every other one, in both directions at once, posts mentioning the
    // two users after them (a post locks its author and everyone it mentions), and unfollows
    // the user after them: every pair of rows is locked from both ends at the same time.
    const sessions = await Promise.all(
      users.map(async (user) => {
        const session = new BrowserSession(t.baseUrl);
        await session.login(user.username, DEFAULT_PASSWORD);
        return { session, token: csrfTokenOf((await session.get('/')).text) };
      }),
    );
    const failures: string[] = [];
    const submit = async (from: number, action: string, fields: Record<string, string> = {}) => {
      const { session, token } = sessions[from];
      const res = await session.agent
        .post(action)
        .set('Accept', 'text/html')
        .type('form')
        .send({ csrf_token: token, ...fields });
      if (res.status !== 302) {
        failures.push(`${from} ${action}: ${res.status}`);
      }
    };
    const name = (i: number) => users[i % USERS].username;

    await Promise.all(
      users.map(async (_, from) => {
        for (let step = 1; step < USERS; step++) {
          await Promise.all([
            submit(from, `/user/${name(from + step)}/follow`),
            submit(from, '/posts', { post: `@${name(from + 1)} @${name(from + 2)} #${step}` }),
          ]);
        }
        await submit(from, `/user/${name(from + 1)}/unfollow`);
      }),
    );

    expect(failures).toEqual([]);
    const follows = await t.dataSource.getRepository(Follow).find();
    expect(follows).toHaveLength(USERS * (USERS - 2));
    expect(await t.dataSource.getRepository(Post).count()).toBe(USERS * (USERS - 1));
    // The counts on the rows are the rows' truth, for every user.
    for (const user of users) {
      const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
      expect([user.username, row.followersCount, row.followingCount, row.postsCount]).toEqual([
        user.username,
        follows.filter((f) => f.followedId === user.id).length,
        follows.filter((f) => f.followerId === user.id).length,
        USERS - 1,
      ]);
    }
    // Every mention notified its user: one group per mentioning post.
    expect(
      await t.dataSource
        .getRepository(NotificationGroup)
        .countBy({ kind: NotificationKind.Mention }),
    ).toBe(2 * USERS * (USERS - 1));
    // Deliveries to followers run after the posts commit: done before the tables are cleared.
    for (const post of await t.dataSource.getRepository(Post).find()) {
      await t.app.get(PostFanoutService).deliver(post.id);
    }
  }, 120_000);

  describe('a transaction the server aborts', () => {
    const lock = (tx: Tx, user: User, suffix = '') =>
      tx.manager.query(`SELECT id FROM users WHERE id = ? FOR UPDATE${suffix}`, [user.id]);

    /** Resolves for everyone once `parties` callers have arrived. */
    const barrier = (parties: number) => {
      let arrived = 0;
      let release: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (release = resolve));
      return () => {
        arrived += 1;
        if (arrived === parties) {
          release();
        }
        return all;
      };
    };

    it('should run a deadlock victim again, and publish only what the committed attempt did', async () => {
      const transactions = t.app.get(TransactionService);
      const [a, b] = users;
      const bothHoldOne = barrier(2);
      const attempts: string[] = [];
      const committed: string[] = [];
      // Two transactions lock the same two rows in opposite orders: the server aborts one.
      const crossing = (label: string, first: User, second: User) =>
        transactions.run(async (tx) => {
          const attempt = `${label}${attempts.filter((x) => x.startsWith(label)).length + 1}`;
          attempts.push(attempt);
          await lock(tx, first);
          tx.afterCommit(() => committed.push(attempt));
          if (attempt.endsWith('1')) {
            await bothHoldOne();
          }
          await lock(tx, second);
          return attempt;
        });

      const results = await Promise.allSettled([crossing('ab', a, b), crossing('ba', b, a)]);

      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(attempts).toHaveLength(3);
      expect(committed.sort()).toEqual(
        results.map((r) => (r as PromiseFulfilledResult<string>).value).sort(),
      );
    });

    it('should run a transaction again after a lock wait timeout', async () => {
      const transactions = t.app.get(TransactionService);
      const [a] = users;
      const holding = t.dataSource.createQueryRunner();
      await holding.startTransaction();
      await holding.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [a.id]);
      // Released after the first attempt has given up waiting (WAIT 1: MariaDB's per-statement
      // lock wait timeout, errno 1205).
      const release = setTimeout(() => void holding.commitTransaction(), 1500);
      let attempts = 0;
      try {
        await expect(
          transactions.run(async (tx) => {
            attempts += 1;
            await lock(tx, a, ' WAIT 1');
            return 'done';
          }),
        ).resolves.toBe('done');
        expect(attempts).toBeGreaterThan(1);
      } finally {
        clearTimeout(release);
        if (holding.isTransactionActive) {
          await holding.commitTransaction();
        }
        await holding.release();
      }
    }, 30_000);
  });
});
