import fc from 'fast-check';
import request from 'supertest';
import { NotFoundException } from '@nestjs/common';
import { Conversation } from '../src/conversations/conversation.entity';
import { MessagesService } from '../src/messages/messages.service';
import { NotificationBus, StreamEvent } from '../src/notifications/bus/notification-bus';
import { NotificationsService } from '../src/notifications/notifications.service';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser } from './factories/user.factory';
import { SseClient, StreamedEvent } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

const USERS = 3;

type Action =
  | { kind: 'send'; from: number; to: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'read'; user: number; peer: number }
  | { kind: 'announce' }
  | { kind: 'disconnect'; user: number }
  | { kind: 'reconnect'; user: number; viaQuery: boolean };

/** Two different users of the three. */
const pair = fc
  .tuple(fc.nat(USERS - 1), fc.nat(USERS - 2))
  .map(([a, d]) => [a, (a + 1 + d) % USERS] as const);
const user = fc.nat(USERS - 1);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: pair.map(([from, to]): Action => ({ kind: 'send', from, to })) },
  { weight: 2, arbitrary: fc.nat(50).map((pick): Action => ({ kind: 'delete', pick })) },
  { weight: 2, arbitrary: pair.map(([u, peer]): Action => ({ kind: 'read', user: u, peer })) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'announce' }) },
  { weight: 1, arbitrary: user.map((u): Action => ({ kind: 'disconnect', user: u })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(user, fc.boolean())
      .map(([u, viaQuery]): Action => ({ kind: 'reconnect', user: u, viaQuery })),
  },
);

/**
 * Steps run one after the other; the actions of one step run at once. `delivery` is how the
 * fan-out hands over each committed event, in turn: after that many milliseconds (so events
 * reach streams out of commit order, as across processes), or never (-1: lost, as when Redis
 * drops a publish).
 */
const scenario = fc.record({
  steps: fc.array(fc.array(action, { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 7,
  }),
  delivery: fc.array(fc.integer({ min: -1, max: 12 }), { minLength: 1, maxLength: 16 }),
});

/**
 * Makes the bus hand events over as `delivery` says; returns a function that waits for the
 * deliveries still pending and puts the bus back.
 */
function unreliableFanOut(bus: NotificationBus, delivery: number[]) {
  const original = { publish: bus.publish.bind(bus), publishToAll: bus.publishToAll.bind(bus) };
  const pending = new Set<Promise<void>>();
  let next = 0;
  const later = (deliver: () => void) => {
    const delay = delivery[next++ % delivery.length];
    if (delay === 0) {
      deliver();
    } else if (delay > 0) {
      const delivered = new Promise<void>((resolve) =>
        setTimeout(() => {
          deliver();
          resolve();
        }, delay),
      );
      pending.add(delivered);
      void delivered.then(() => pending.delete(delivered));
    }
  };
  const publish = jest
    .spyOn(bus, 'publish')
    .mockImplementation((userId: number, event: StreamEvent) =>
      later(() => original.publish(userId, event)),
    );
  const publishToAll = jest
    .spyOn(bus, 'publishToAll')
    .mockImplementation((event: StreamEvent) => later(() => original.publishToAll(event)));
  return async () => {
    while (pending.size > 0) {
      await Promise.all([...pending]);
    }
    publish.mockRestore();
    publishToAll.mockRestore();
  };
}

interface EventRow {
  user_id: number | null;
  seq: number;
  announcements_before: number;
  name: string;
  payload_json: string;
}

/**
 * One user's browser: one stream open at a time, reconnecting with the id of the last frame it
 * got (as EventSource does), every frame of every connection kept in the order it came.
 */
class Browser {
  readonly connections: SseClient[] = [];
  current: SseClient | null = null;
  /** Stream operations of this browser run one at a time, as one EventSource's would. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly user: User,
    readonly cookie: string,
    private readonly baseUrl: string,
  ) {}

  /** The id EventSource would send on its next connect: the last one it was given. */
  get lastEventId(): string {
    return this.connections.at(-1)?.lastEventId ?? '';
  }

  /** Every data frame of every connection, in the order they came. */
  get events(): StreamedEvent[] {
    return this.connections.flatMap((c) => c.events);
  }

  disconnect(): Promise<void> {
    return this.enqueue(() => {
      this.current?.close();
      this.current = null;
      return Promise.resolve();
    });
  }

  reconnect(viaQuery = false): Promise<void> {
    return this.enqueue(async () => {
      this.current?.close();
      this.current = null;
      const id = this.lastEventId;
      const headers: Record<string, string> = { Cookie: this.cookie };
      let path = '/notifications/stream';
      if (id && viaQuery) {
        path += `?lastEventId=${encodeURIComponent(id)}`;
      } else if (id) {
        headers['Last-Event-ID'] = id;
      }
      // A closed stream leaves the server's registry a moment later: over the per-user cap
      // meanwhile (429), the browser tries again.
      for (let attempt = 0; ; attempt++) {
        const client = await SseClient.connect(this.baseUrl, path, headers);
        if (client.response.statusCode === 200) {
          await client.waitFor((c) => c.frames.length >= 1);
          this.connections.push(client);
          this.current = client;
          return;
        }
        client.close();
        if (client.response.statusCode !== 429 || attempt > 100) {
          throw new Error(`stream refused with ${client.response.statusCode}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Random interleavings of sends, deletes, reads, announcements and stream drops and resumes
 * for three users, each with an open stream: after the last resume, what each browser built
 * from its events is what the database holds, and it got every event of its log after where
 * it started once, in order.
 */
describe('Event log: what resuming streams show equals the database (property)', () => {
  let t: TestApp;
  let run = 0;

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
  });

  afterAll(() => t.close());

  const openStreams = async () =>
    ((await request(t.app.getHttpServer()).get('/health')).body as { openStreams: number })
      .openStreams;

  /** Every user, message, event and announcement gone: each run starts on an empty log. */
  async function emptyDatabase() {
    for (const table of ['events', 'notifications', 'messages', 'users']) {
      await t.dataSource.query(`DELETE FROM ${table}`);
    }
    await t.dataSource.query('UPDATE announcement_sequence SET last_seq = 0');
  }

  async function position(userId: number): Promise<string> {
    const [row] = await t.dataSource.query<{ seq: number; ann: number }[]>(
      'SELECT u.event_seq AS seq, a.last_seq AS ann FROM users u CROSS JOIN announcement_sequence a WHERE u.id = ?',
      [userId],
    );
    return `${Number(row.seq)}:${Number(row.ann)}`;
  }

  /**
   * The ids and names the user's stream must send after `from`, in commit order: their own
   * events and the announcements, each announcement before the first own event that counts
   * it. Session ends move the cursor but are never sent.
   */
  async function expectedLog(userId: number, from: { seq: number; ann: number }) {
    const rows = await t.dataSource.query<EventRow[]>(
      `SELECT user_id, seq, announcements_before, name, payload_json FROM events
       WHERE (user_id = ? AND seq > ?) OR (user_id IS NULL AND seq > ?)
       ORDER BY seq`,
      [userId, from.seq, from.ann],
    );
    const own = rows.filter((r) => r.user_id !== null).map((r) => ({ ...r, seq: Number(r.seq) }));
    const announcements = rows.filter((r) => r.user_id === null);
    const sent: { id: string; name: string }[] = [];
    let cursor = { ...from };
    const take = (row: EventRow) => {
      cursor =
        row.user_id === null
          ? { seq: cursor.seq, ann: Number(row.seq) }
          : { seq: Number(row.seq), ann: cursor.ann };
      if (row.name !== 'session_ended') {
        sent.push({ id: `${cursor.seq}:${cursor.ann}`, name: row.name });
      }
    };
    let next = 0;
    for (const row of own) {
      while (
        next < announcements.length &&
        Number(announcements[next].seq) <= Number(row.announcements_before)
      ) {
        take(announcements[next++]);
      }
      take(row);
    }
    announcements.slice(next).forEach(take);
    return sent;
  }

  /** What a page keeps from the events: the badge, the threads, read receipts, announcements. */
  function viewOf(browser: Browser, peers: User[]) {
    const events = browser.events;
    const threads: Record<string, number[]> = Object.fromEntries(
      peers.map((p) => [p.username, []]),
    );
    const seen: Record<string, number | null> = Object.fromEntries(
      peers.map((p) => [p.username, null]),
    );
    let unread = 0;
    const announcements: unknown[] = [];
    for (const event of events) {
      if (event.name === 'unread_message_count') {
        unread = event.data as number;
      } else if (event.name === 'new_message') {
        const { id, peer } = event.data as { id: number; peer: string };
        threads[peer] = [...(threads[peer] ?? []), id];
      } else if (event.name === 'message_deleted') {
        const { id, peer } = event.data as { id: number; peer: string };
        threads[peer] = (threads[peer] ?? []).filter((kept) => kept !== id);
      } else if (event.name === 'conversation_seen') {
        const { peer, at } = event.data as { peer: string; at: number };
        seen[peer] = at;
      } else if (event.name === 'announcement') {
        announcements.push(event.data);
      }
    }
    Object.values(threads).forEach((ids) => ids.sort((a, b) => a - b));
    return { unread, threads, seen, announcements };
  }

  /** The same view read from the tables. */
  async function databaseView(me: User, peers: User[], fromAnnouncement: number) {
    const [sum] = await t.dataSource.query<{ n: number | string | null }[]>(
      'SELECT COALESCE(SUM(unread_count), 0) AS n FROM conversations WHERE user_id = ?',
      [me.id],
    );
    const threads: Record<string, number[]> = {};
    const seen: Record<string, number | null> = {};
    for (const peer of peers) {
      const rows = await t.dataSource.query<{ id: number }[]>(
        `SELECT id FROM messages WHERE (sender_id = ? AND recipient_id = ?)
         OR (sender_id = ? AND recipient_id = ?) ORDER BY id`,
        [me.id, peer.id, peer.id, me.id],
      );
      threads[peer.username] = rows.map((r) => Number(r.id));
      const theirs = await t.dataSource
        .getRepository(Conversation)
        .findOneBy({ userId: peer.id, peerId: me.id });
      const at = theirs?.lastReadAt.getTime() ?? 0;
      seen[peer.username] = at > 0 ? at : null;
    }
    const announcements = await t.dataSource.query<{ payload_json: string }[]>(
      'SELECT payload_json FROM events WHERE user_id IS NULL AND seq > ? ORDER BY seq',
      [fromAnnouncement],
    );
    return {
      unread: Number(sum.n),
      threads,
      seen,
      announcements: announcements.map((r) => JSON.parse(r.payload_json) as unknown),
    };
  }

  const idOf = (e: StreamedEvent) => [e.seq, e.announcement] as const;

  async function check({ steps, delivery }: { steps: Action[][]; delivery: number[] }) {
    run++;
    await emptyDatabase();
    const deadline = Date.now() + 3000;
    while ((await openStreams()) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const users: User[] = [];
    for (let i = 0; i < USERS; i++) {
      users.push(await createUser(t.app, `r${run}u${i}`));
    }
    const browsers = await Promise.all(
      users.map(async (u) => new Browser(u, await authCookieFor(t.app, u), t.baseUrl)),
    );
    const messages = t.app.get(MessagesService);
    const notifications = t.app.get(NotificationsService);
    const live: number[] = [];
    let announced = 0;
    try {
      // A fresh stream tells the browser its position (a frame of its own, even with no state
      // to send): the scenario starts once each browser knows where it is.
      await Promise.all(browsers.map((b) => b.reconnect()));
      await Promise.all(browsers.map((b) => b.current!.waitFor((c) => c.lastEventId !== '')));
      const start = await Promise.all(
        users.map(async (u) => {
          const [seq, ann] = (await position(u.id)).split(':').map(Number);
          return { seq, ann };
        }),
      );

      const perform = async (a: Action): Promise<void> => {
        switch (a.kind) {
          case 'send': {
            const m = await messages.send(users[a.from], users[a.to], `run ${run}`);
            live.push(m.id);
            return;
          }
          case 'delete': {
            if (live.length === 0) {
              return;
            }
            const id = live[a.pick % live.length];
            try {
              await messages.remove(id);
            } catch (error) {
              // Another action of the same step deleted it first.
              if (!(error instanceof NotFoundException)) {
                throw error;
              }
            }
            if (live.includes(id)) {
              live.splice(live.indexOf(id), 1);
            }
            return;
          }
          case 'read': {
            const res = await request(t.baseUrl)
              .get(`/conversations/${users[a.peer].username}`)
              .set('Cookie', browsers[a.user].cookie)
              .set('Accept', 'text/html');
            expect(res.status).toBe(200);
            return;
          }
          case 'announce':
            await notifications.announce('announcement', { run, n: ++announced });
            return;
          case 'disconnect':
            return browsers[a.user].disconnect();
          case 'reconnect':
            return browsers[a.user].reconnect(a.viaQuery);
        }
      };
      const settle = unreliableFanOut(t.app.get(NotificationBus), delivery);
      try {
        for (const step of steps) {
          await Promise.all(step.map(perform));
        }
      } finally {
        await settle();
      }

      // The last resume, then a marker every stream must get last: anything still on its way
      // (a repeat, a late event) arrives before it.
      await Promise.all(browsers.map((b) => b.reconnect()));
      await notifications.announce('announcement', { run, marker: true });
      for (const b of browsers) {
        const at = await position(b.user.id);
        await b.current!.waitFor((c) => c.lastEventId === at, 5000).catch(() => undefined);
      }

      for (const [i, b] of browsers.entries()) {
        const peers = users.filter((u) => u !== b.user);
        const who = b.user.username;
        const events = b.events;
        // Once each, in order: every id after the one before it.
        const disorder = events.filter((e, j) => {
          if (j === 0) {
            return false;
          }
          const [seq, ann] = idOf(e);
          const [pSeq, pAnn] = idOf(events[j - 1]);
          return !(seq >= pSeq && ann >= pAnn && (seq > pSeq || ann > pAnn));
        });
        expect([who, disorder.map((e) => e.id)]).toEqual([who, []]);
        const frames = b.connections.flatMap((c) => c.frames);
        expect([who, frames.filter((f) => f.event && f.event !== 'state')]).toEqual([who, []]);
        // Exactly the log after where the browser started, none missing.
        expect([who, events.map((e) => ({ id: e.id, name: e.name }))]).toEqual([
          who,
          await expectedLog(b.user.id, start[i]),
        ]);
        expect([who, viewOf(b, peers)]).toEqual([
          who,
          await databaseView(b.user, peers, start[i].ann),
        ]);
        // The final stream's state agrees too.
        const badge = b.current!.states.find((s) => s.name === 'unread_message_count');
        if (badge) {
          expect([who, badge.data]).toEqual([
            who,
            (await databaseView(b.user, peers, start[i].ann)).unread,
          ]);
        }
      }
    } finally {
      browsers.forEach((b) => b.current?.close());
    }
  }

  it('should leave every browser with the database’s view, each event once and in order', async () => {
    await fc.assert(fc.asyncProperty(scenario, check), {
      numRuns: 25,
      endOnFailure: true,
    });
  }, 120_000);
});
