import type { Socket } from 'node:net';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { MessagesService } from '../../src/messages/messages.service';
import { Cursor, formatCursor } from '../../src/notifications/event-cursor';
import { EventLogService } from '../../src/notifications/event-log.service';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { PostsService } from '../../src/posts/posts.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { SseClient, StreamedEvent } from '../utils/sse-client';
import { eventsBeforeMarker } from '../utils/stream-marker';
import { createTestApp, TestApp } from '../utils/test-app';
import { eventually, rawGet } from './attack-helpers';

const CAP = 5;
const RETRY_MS = '1000';
/** What the stream route lets a client that does not read hold (STREAM_MAX_PENDING_CHARS). */
const MAX_PENDING_CHARS = 256 * 1024;
/** Events Nest's SseStream (objectMode, highWaterMark 16 each side) holds, plus one in flight. */
const SSE_STREAM_BUFFERED_EVENTS = 2 * 16 + 2;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Attack: abusing the event stream', () => {
  let t: TestApp;
  let names = 0;
  const open: SseClient[] = [];
  /** The server's side of every connection, to see what it holds for a client. */
  const serverSockets: Socket[] = [];

  beforeAll(async () => {
    t = await createTestApp(
      {
        SSE_MAX_STREAMS_PER_USER: String(CAP),
        SSE_HEARTBEAT_MS: '100',
        SSE_RETRY_MS: RETRY_MS,
        SSE_STALL_TIMEOUT_MS: '500',
      },
      { listen: true },
    );
    t.app.getHttpServer().on('connection', (socket: Socket) => serverSockets.push(socket));
  });

  afterEach(async () => {
    open.splice(0).forEach((c) => c.close());
    serverSockets.splice(0);
    await eventually(openStreams, 0);
  });

  afterAll(() => t.close());

  const newUser = () => createUser(t.app, `streamer${++names}`);
  const tokenOf = async (user: User) =>
    (await t.app.get(AuthService).issueToken(user, false)).token;
  const openStreams = async () =>
    ((await request(t.app.getHttpServer()).get('/health')).body as { openStreams: number })
      .openStreams;

  const connect = async (path: string, headers: Record<string, string>) => {
    const client = await SseClient.connect(t.baseUrl, path, headers);
    open.push(client);
    return client;
  };
  const cookie = (token: string) => ({ Cookie: `mb_token=${token}` });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  /**
   * Messages from a fresh sender: each appends unread_message_count (the recipient's new
   * count) and new_message to the recipient's log. Returns the sender and the messages' ids.
   */
  async function sendTo(recipient: User, count: number) {
    const sender = await newUser();
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      ids.push((await t.app.get(MessagesService).send(sender, recipient, `message ${i}`)).id);
    }
    return { sender, ids, last: ids[ids.length - 1] };
  }

  /** Where the user's order stands now, as the cursor a stream gives out. */
  const positionOf = async (user: User) =>
    formatCursor(await t.app.get(EventLogService).position(user.id));
  /** The user's current state, as GET /notifications serves it: what a stream starts with. */
  const stateOf = async (user: User) =>
    (await t.app.get(NotificationsService).since(user.id, 0)).map((n) => [n.name, n.data]);
  /**
   * The frames that are neither heartbeats, state nor data events: the retry hint, the
   * position of a fresh stream, reset, session_ended.
   */
  const controlFrames = (client: SseClient) =>
    client.frames.filter(
      (f) => f.comment === undefined && f.event !== 'state' && !(f.data && f.event === undefined),
    );
  const named = (events: StreamedEvent[]) => events.map((e) => [e.id, e.name, e.data]);
  const cursorOf = (id: string): Cursor => {
    const [seq, announcement] = id.split(':').map(Number);
    return { seq, announcement };
  };

  describe('the per-user cap', () => {
    it(`should accept exactly ${CAP} of 200 concurrent connects of one user, 429 the rest, and free every slot`, async () => {
      const bob = await newUser();
      const carol = await newUser();
      // Two sessions of bob's: the cap is per user, not per session or per way of sending it.
      const [viaCookie, viaBearer] = [await tokenOf(bob), await tokenOf(bob)];
      const burst = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          connect('/notifications/stream', i % 2 ? cookie(viaCookie) : bearer(viaBearer)),
        ),
      );
      const statuses = burst.map((c) => c.response.statusCode);
      expect(statuses.filter((s) => s === 200)).toHaveLength(CAP);
      expect(statuses.filter((s) => s === 429)).toHaveLength(200 - CAP);
      const refused = burst.filter((c) => c.response.statusCode === 429);
      expect(new Set(refused.map((c) => c.response.headers['content-type']))).toEqual(
        new Set(['application/json; charset=utf-8']),
      );
      expect(await openStreams()).toBe(CAP);

      // Another user is not held back by bob's flood.
      const carols = await connect('/notifications/stream', cookie(await tokenOf(carol)));
      expect(carols.response.statusCode).toBe(200);
      expect(await openStreams()).toBe(CAP + 1);

      burst.forEach((c) => c.close());
      expect(await eventually(openStreams, 1)).toBe(1);
      carols.close();
      expect(await eventually(openStreams, 0)).toBe(0);

      // Every slot came back: bob gets the cap again, and not one more.
      const again = [];
      for (let i = 0; i <= CAP; i++) {
        again.push((await connect('/notifications/stream', cookie(viaCookie))).response.statusCode);
      }
      expect(again).toEqual([...Array<number>(CAP).fill(200), 429]);
      expect(await openStreams()).toBe(CAP);
    });
  });

  describe("other users' streams", () => {
    it('should answer 409 to a stream or feed asked for with any other uid', async () => {
      const bob = await newUser();
      const carol = await newUser();
      const token = await tokenOf(bob);
      const otherUids = [
        String(carol.id),
        `0${bob.id}`,
        `${bob.id}.0`,
        `+${bob.id}`,
        `%20${bob.id}`,
        '',
        'undefined',
        `${bob.id}&uid=${carol.id}`,
        `${bob.id}&uid=${bob.id}`,
      ];
      const observed = [];
      for (const uid of otherUids) {
        const stream = await rawGet(t.baseUrl, `/notifications/stream?uid=${uid}`, cookie(token));
        const feed = await request(t.app.getHttpServer())
          .get(`/notifications?uid=${uid}`)
          .set(cookie(token));
        observed.push([uid, stream.status, feed.status]);
      }
      expect(observed).toEqual(otherUids.map((uid) => [uid, 409, 409]));
      const own = await rawGet(t.baseUrl, `/notifications/stream?uid=${bob.id}`, cookie(token));
      expect(own.status).toBe(200);
    });

    it("should ignore ?user=, ?userId= and the like: a stream carries only its own user's state and events", async () => {
      const bob = await newUser();
      const carol = await newUser();
      await sendTo(bob, 3);
      const toCarol = await sendTo(carol, 1);
      const bobs = await connect('/notifications/stream', cookie(await tokenOf(bob)));
      const hostile = `?user=${bob.id}&userId=${bob.id}&user_id=${bob.id}&sub=${bob.id}&id=${bob.id}`;
      const carolsHeaders = { ...cookie(await tokenOf(carol)), 'X-User-Id': String(bob.id) };
      const carols = await connect(`/notifications/stream${hostile}`, carolsHeaders);
      await bobs.waitFor((s) => s.states.length > 0);
      await carols.waitFor((s) => s.states.length > 0);
      // Carol's stream starts at her own position (her 2 events, not bob's 6), with her state.
      expect([carols.lastEventId, carols.states.map((e) => [e.name, e.data])]).toEqual([
        await positionOf(carol),
        await stateOf(carol),
      ]);
      expect(cursorOf(carols.lastEventId).seq).toBe(2);
      expect(cursorOf(bobs.lastEventId).seq).toBe(6);
      const unread = (client: SseClient) =>
        client.states.filter((e) => e.name === 'unread_message_count').map((e) => e.data);
      expect([unread(bobs), unread(carols)]).toEqual([[3], [1]]);

      // Resumed from the start of her log, with the same params: a replay reads only hers.
      const { announcement } = cursorOf(carols.lastEventId);
      const replayed = await connect(
        `/notifications/stream${hostile}&lastEventId=0:${announcement}`,
        carolsHeaders,
      );

      const toBob = await sendTo(bob, 1);
      const [bobsLive, carolsLive, replayedLive] = await eventsBeforeMarker(
        t.app,
        bobs,
        carols,
        replayed,
      );
      expect(bobsLive.map((e) => [e.seq, e.name, e.data])).toEqual([
        [7, 'unread_message_count', 4],
        [8, 'new_message', { id: toBob.last, peer: toBob.sender.username }],
      ]);
      expect(carolsLive).toEqual([]);
      expect(controlFrames(replayed)).toEqual([{ id: `0:${announcement}`, retry: RETRY_MS }]);
      expect(named(replayedLive)).toEqual([
        [`1:${announcement}`, 'unread_message_count', 1],
        [`2:${announcement}`, 'new_message', { id: toCarol.last, peer: toCarol.sender.username }],
      ]);
    });
  });

  describe('Last-Event-ID', () => {
    /** Not a cursor `seq:announcement` this server gives out: ids of an older version too. */
    const JUNK = [
      '9'.repeat(5000),
      '-1',
      '-99999999999999999999',
      'abc',
      '+1',
      '0x10',
      '1e3',
      'NaN',
      'Infinity',
      '1.5',
      '12345678901234567890',
      '1234567890123456',
      '١٢',
      '１２',
      '1 2',
      "1' OR '1'='1",
      '<script>',
      // The numeric ids of the previous version.
      '0',
      '17',
      // Shaped like a cursor, but not one.
      '1:',
      ':1',
      '1:2:3',
      '-1:0',
      '0:-1',
      '1.0:0',
      '0x1:0',
      '1e3:0',
      '1 :0',
      '١:٢',
      '１:２',
      `${'9'.repeat(16)}:0`,
      `0:${'9'.repeat(16)}`,
      'NaN:NaN',
      '1:0,2:0',
      "1:0' OR '1'='1",
    ];

    /**
     * A user event appended now, then a marker announced to everyone: the events the stream
     * got before the marker (only the probe, if the stream is usable), once both arrived.
     */
    async function probe(user: User, stream: SseClient, n: number) {
      await t.app.get(NotificationsService).notifyUser(user.id, 'probe', { n });
      const [before] = await eventsBeforeMarker(t.app, stream);
      return named(before);
    }

    /** The probe's event as a stream at `position` sends it: the user's next number. */
    const probed = (position: string, n: number) => {
      const { seq, announcement } = cursorOf(position);
      return [[`${seq + 1}:${announcement}`, 'probe', { n }]];
    };

    it.each([
      [
        'the Last-Event-ID header',
        // Sent as its UTF-8 bytes, as a browser would.
        (v: string) => ({
          path: '',
          headers: { 'Last-Event-ID': Buffer.from(v, 'utf8').toString('latin1') },
        }),
      ],
      [
        'the lastEventId query parameter',
        (v: string) => ({ path: `?lastEventId=${encodeURIComponent(v)}`, headers: {} }),
      ],
    ])(
      'should answer junk in %s with a reset, the state and a usable stream, never a 5xx',
      async (_where, place) => {
        const bob = await newUser();
        await sendTo(bob, 2);
        // What the streams start with: the count of bob's two messages, among the rest.
        expect(await stateOf(bob)).toContainEqual(['unread_message_count', 2]);
        const token = await tokenOf(bob);
        const observed = [];
        const expected = [];
        // An empty one is no cursor sent: a fresh stream, which needs no reset.
        for (const [n, junk] of [...JUNK, ''].entries()) {
          const position = await positionOf(bob);
          const state = await stateOf(bob);
          const { path, headers } = place(junk);
          const stream = await connect(`/notifications/stream${path}`, {
            ...cookie(token),
            ...headers,
          });
          expect([junk, stream.response.statusCode]).toEqual([junk, 200]);
          await stream.waitFor((s) => s.states.length === state.length);
          const live = await probe(bob, stream, n);
          observed.push([
            junk.slice(0, 30),
            controlFrames(stream),
            stream.states.map((e) => [e.id, e.name, e.data]),
            live,
          ]);
          expected.push([
            junk.slice(0, 30),
            [
              { id: '', retry: RETRY_MS },
              junk
                ? { event: 'reset', id: position, data: '{}' }
                : { id: position, retry: RETRY_MS },
            ],
            state.map(([name, data]) => [position, name, data]),
            probed(position, n),
          ]);
          stream.close();
          // One at a time: the cap is a few streams.
          await eventually(openStreams, 0);
        }
        expect(observed).toEqual(expected);
      },
    );

    /**
     * A user whose stream got their first message's events and closed, and a second message
     * sent while they were away: `seen` is where the stream stood.
     */
    async function awayAfterOneMessage() {
      const bob = await newUser();
      const token = await tokenOf(bob);
      const first = await connect('/notifications/stream', cookie(token));
      await first.waitFor((s) => s.lastEventId !== '');
      await sendTo(bob, 1);
      await first.waitFor((s) => s.events.length === 2);
      const seen = first.lastEventId;
      expect(cursorOf(seen).seq).toBe(2);
      first.close();
      const { ids, sender } = await sendTo(bob, 1);
      return { bob, token, seen, missed: { id: ids[0], peer: sender.username } };
    }

    it('should resume from the first valid cursor: a good query value after a junk header, a good header before a query value', async () => {
      const { token, seen, missed } = await awayAfterOneMessage();
      const resumed = await connect(`/notifications/stream?lastEventId=${seen}`, {
        ...cookie(token),
        'Last-Event-ID': '-5',
      });
      const { announcement } = cursorOf(seen);
      const headerFirst = await connect(`/notifications/stream?lastEventId=0:${announcement}`, {
        ...cookie(token),
        'Last-Event-ID': seen,
      });
      const [resumedLive, headerFirstLive] = await eventsBeforeMarker(t.app, resumed, headerFirst);
      for (const [stream, live] of [
        [resumed, resumedLive],
        [headerFirst, headerFirstLive],
      ] as const) {
        expect(controlFrames(stream)).toEqual([{ id: seen, retry: RETRY_MS }]);
        expect(stream.states.filter((e) => e.name === 'unread_message_count')).toMatchObject([
          { id: seen, data: 2 },
        ]);
        // Exactly the events after the cursor: the second message's.
        expect(named(live)).toEqual([
          [`3:${announcement}`, 'unread_message_count', 2],
          [`4:${announcement}`, 'new_message', missed],
        ]);
      }
    });

    it('should take a repeated ?lastEventId= as junk: a reset, never a silent fresh start', async () => {
      const { bob, token, seen } = await awayAfterOneMessage();
      const present = await positionOf(bob);
      const repeated = [
        await connect(
          `/notifications/stream?lastEventId=${seen}&lastEventId=${seen}`,
          cookie(token),
        ),
        await connect(`/notifications/stream?lastEventId=${seen}&lastEventId=${seen}`, {
          ...cookie(token),
          'Last-Event-ID': 'abc',
        }),
      ];
      const live = await eventsBeforeMarker(t.app, ...repeated);
      // Not one cursor: the events after `seen` are not replayed, and a fresh start would skip
      // them without a word.
      expect(repeated.map((stream, i) => [controlFrames(stream), live[i]])).toEqual(
        repeated.map(() => [
          [
            { id: '', retry: RETRY_MS },
            { event: 'reset', id: present, data: '{}' },
          ],
          [],
        ]),
      );
      for (const stream of repeated) {
        expect(stream.states.filter((e) => e.name === 'unread_message_count')).toMatchObject([
          { id: present, data: 2 },
        ]);
      }
    });

    it('should reset a stream resumed from a cursor past the present, and keep it usable', async () => {
      const bob = await newUser();
      await sendTo(bob, 1);
      const token = await tokenOf(bob);
      const futures: ((present: Cursor) => string)[] = [
        () => '999999999999999:0',
        () => '0:999999999999999',
        () => '999999999999999:999999999999999',
        // Just past it (a database restored from an older backup).
        ({ seq, announcement }) => `${seq + 1}:${announcement}`,
        ({ seq, announcement }) => `${seq}:${announcement + 1}`,
      ];
      const observed = [];
      const expected = [];
      for (const [n, futureOf] of futures.entries()) {
        const position = await positionOf(bob);
        const future = futureOf(cursorOf(position));
        const stream = await connect('/notifications/stream', {
          ...cookie(token),
          'Last-Event-ID': future,
        });
        expect(stream.response.statusCode).toBe(200);
        await stream.waitFor((s) => s.states.length > 0);
        // The next events of bob's (numbered right after the present) and an announcement
        // reach it: its cursor is the present, not the client's.
        const live = await probe(bob, stream, n);
        observed.push([future, controlFrames(stream), live]);
        expected.push([
          future,
          [
            { id: future, retry: RETRY_MS },
            { event: 'reset', id: position, data: '{}' },
          ],
          probed(position, n),
        ]);
        expect(stream.states.filter((e) => e.name === 'unread_message_count')).toMatchObject([
          { id: position, data: 1 },
        ]);
        stream.close();
        await eventually(openStreams, 0);
      }
      expect(observed).toEqual(expected);
    });
  });

  describe('?watch=', () => {
    /** The live `post` frames a stream got, parsed. */
    const postFrames = (client: SseClient) =>
      client.frames
        .filter((f) => f.event === 'post')
        .map((f) => JSON.parse(f.data as string) as { action: string; id: number });

    /**
     * The `post` frames each stream got before a marker announced after a post of `author`
     * and its deletion: a post and its deletion reach explore and the author's profile (the
     * deletion reaches home too), and the marker comes after both.
     */
    async function postFramesAround(author: User, ...clients: SseClient[]) {
      for (const client of clients) {
        await client.waitFor((s) => s.lastEventId !== '');
      }
      const posts = t.app.get(PostsService);
      const post = await posts.create(author, 'watched');
      await posts.remove(post.id);
      await eventsBeforeMarker(t.app, ...clients);
      return { post, frames: clients.map(postFrames) };
    }

    it('should send the post frames of the topics asked for: explore, a profile, home for deletions', async () => {
      const viewer = await newUser();
      const author = await newUser();
      const token = await tokenOf(viewer);
      const watching = [
        `explore`,
        `user:${author.id}`,
        'home',
        `home,explore,user:${author.id}`,
        // Nine topics: the last eight (the newest pages) count, explore among them.
        [...Array.from({ length: 8 }, (_, k) => `user:${author.id + 1 + k}`), 'explore'].join(','),
      ];
      const clients = [];
      for (const watch of watching) {
        clients.push(await connect(`/notifications/stream?watch=${watch}`, cookie(token)));
      }
      const { post, frames } = await postFramesAround(author, ...clients);
      const created = { action: 'created', id: post.id, author: author.username };
      const deleted = { action: 'deleted', id: post.id };
      expect(frames).toEqual([
        [created, deleted],
        [created, deleted],
        [deleted],
        [created, deleted],
        [created, deleted],
      ]);
      // A live frame moves no cursor: it carries the stream's position.
      for (const client of clients) {
        const ids = client.frames.filter((f) => f.event === 'post').map((f) => f.id);
        expect(new Set(ids).size).toBeLessThanOrEqual(1);
      }
    });

    /** Not a topic (or not one this server knows): ignored, never an error. */
    const JUNK_WATCH = (authorId: number) => [
      'EXPLORE',
      ' explore',
      'explore ',
      'explore%00',
      'explore;home',
      'explore|home',
      'user:',
      'user:0',
      'user:-1',
      `user:+${authorId}`,
      `user:0${authorId}`,
      `user:${authorId}.0`,
      `user:${authorId}e0`,
      `user:0x${authorId.toString(16)}`,
      `user:%20${authorId}`,
      `user:${authorId}%20`,
      `user:${authorId}x`,
      'user:1e3',
      'user:abc',
      'user:99999999999',
      `user:${'9'.repeat(5000)}`,
      `USER:${authorId}`,
      `user::${authorId}`,
      `user:${authorId}:${authorId}`,
      'user:١',
      'user:１',
      `users:${authorId}`,
      `${authorId}`,
      '*',
      '%',
      '<script>alert(1)</script>',
      "explore' OR '1'='1",
      '__proto__',
      'constructor',
      'hasOwnProperty',
      // A repeated or array-style ?watch= is no list.
      'explore&watch=explore',
      `user:${authorId}&watch=user:${authorId}`,
      'x&watch[]=explore',
      ',,,,',
      'home:,'.repeat(2000),
      // More than eight topics: only the last eight (the newest pages) count.
      [
        'explore',
        `user:${authorId}`,
        ...Array.from({ length: 8 }, (_, k) => `user:${authorId + 1 + k}`),
      ].join(','),
    ];

    it('should ignore junk in ?watch=: a usable stream that gets no post frame', async () => {
      const viewer = await newUser();
      const author = await newUser();
      const token = await tokenOf(viewer);
      const junk = JUNK_WATCH(author.id);
      const observed = [];
      // A few streams at a time: the cap is per user.
      for (let i = 0; i < junk.length; i += CAP - 1) {
        const batch = junk.slice(i, i + CAP - 1);
        const clients = [];
        for (const watch of batch) {
          // Sent as typed: only what a request line can't carry is encoded.
          const sent = watch.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
          const path = `/notifications/stream?watch=${sent}`;
          clients.push(await connect(path, cookie(token)));
        }
        // The control: a stream that watches explore hears of the same post.
        const control = await connect('/notifications/stream?watch=explore', cookie(token));
        const { frames } = await postFramesAround(author, ...clients, control);
        expect(frames.at(-1)?.map((f) => f.action)).toEqual(['created', 'deleted']);
        for (const [j, client] of clients.entries()) {
          observed.push([batch[j].slice(0, 40), client.response.statusCode, frames[j]]);
        }
        [...clients, control].forEach((c) => c.close());
        await eventually(openStreams, 0);
      }
      expect(observed).toEqual(junk.map((watch) => [watch.slice(0, 40), 200, []]));
    });

    it('should answer a stream with junk in ?watch= as any other: retry hint, position, state', async () => {
      const viewer = await newUser();
      await sendTo(viewer, 1);
      const token = await tokenOf(viewer);
      const plain = await connect('/notifications/stream', cookie(token));
      const junk = await connect(
        `/notifications/stream?watch=${encodeURIComponent('<script>,user:-1,*')}`,
        cookie(token),
      );
      for (const client of [plain, junk]) {
        await client.waitFor((s) => s.states.length > 0);
      }
      const [plainLive, junkLive] = await eventsBeforeMarker(t.app, plain, junk);
      expect([
        controlFrames(junk),
        junk.states.map((e) => [e.id, e.name, e.data]),
        named(junkLive),
      ]).toEqual([
        controlFrames(plain),
        plain.states.map((e) => [e.id, e.name, e.data]),
        named(plainLive),
      ]);
      expect(junk.response.headers['content-type']).toBe('text/event-stream');
    });
  });

  describe('a client that does not read', () => {
    /** The server's socket of a client's connection. */
    const serverSocketOf = (client: SseClient) => {
      const port = client.response.socket.localPort;
      const socket = serverSockets.find((s) => s.remotePort === port);
      if (!socket) {
        throw new Error(`no server socket for client port ${port}`);
      }
      return socket;
    };

    it('should be dropped with a bounded amount held for it, then resume to exactly what it missed', async () => {
      const dave = await newUser();
      const token = await tokenOf(dave);
      const stalled = await connect('/notifications/stream', cookie(token));
      // A fresh stream's position: what the client resumes from, even with no event yet.
      await stalled.waitFor((s) => s.lastEventId !== '');
      stalled.response.pause();
      const serverSide = serverSocketOf(stalled);

      const notifications = t.app.get(NotificationsService);
      const big = 'x'.repeat(60_000);
      let sent = 0;
      /** Characters of events written for the client after its socket stopped taking more. */
      let heldAfterFull = 0;
      while (sent < 600 && !serverSide.destroyed) {
        if (serverSide.writableNeedDrain) {
          heldAfterFull += big.length;
        }
        await notifications.announce('announcement', { message: `${sent} ${big}` });
        sent++;
        // Events come from other requests: the server's I/O runs between two of them.
        await nextTurn();
      }
      expect(serverSide.destroyed).toBe(true);
      expect(await eventually(openStreams, 0)).toBe(0);
      // Whatever the kernel buffers, the process held a bounded amount for the client: the
      // route's limit, plus what Nest's object-mode SseStream buffers before it reports
      // back-pressure (16 events on each side). Without the route's limit, Nest's default
      // (4 MiB) would let it hold twice as much.
      expect(heldAfterFull).toBeLessThanOrEqual(
        MAX_PENDING_CHARS + SSE_STREAM_BUFFERED_EVENTS * big.length,
      );

      // The client resumes from the last id it got, after something else happened.
      const toDave = await sendTo(dave, 2);
      const lastSeen = stalled.lastEventId;
      const { seq, announcement } = cursorOf(lastSeen);
      /** The announcements the stalled client got before its socket stopped taking more. */
      const got = stalled.events.filter((e) => e.name === 'announcement').length;
      const resumed = await connect('/notifications/stream', {
        ...cookie(token),
        'Last-Event-ID': lastSeen,
      });
      const missed = sent - got;
      await resumed.waitFor((s) => s.events.length >= missed + 4, 20_000);
      const [beforeMarker] = await eventsBeforeMarker(t.app, resumed);
      const peer = toDave.sender.username;
      // Every announcement it missed, in order, once; then dave's own events, which came later.
      expect(
        beforeMarker.map((e) => [
          e.id,
          e.name,
          e.name === 'announcement'
            ? (e.data as { message: string }).message.split(' ')[0]
            : e.data,
        ]),
      ).toEqual([
        ...Array.from({ length: missed }, (_, i) => [
          `${seq}:${announcement + 1 + i}`,
          'announcement',
          String(got + i),
        ]),
        [`${seq + 1}:${announcement + missed}`, 'unread_message_count', 1],
        [`${seq + 2}:${announcement + missed}`, 'new_message', { id: toDave.ids[0], peer }],
        [`${seq + 3}:${announcement + missed}`, 'unread_message_count', 2],
        [`${seq + 4}:${announcement + missed}`, 'new_message', { id: toDave.ids[1], peer }],
      ]);
      // A resume, not a reset: the client's cursor, then the state as of now.
      expect(controlFrames(resumed)).toEqual([{ id: lastSeen, retry: RETRY_MS }]);
      expect(resumed.states.filter((e) => e.name === 'unread_message_count')).toMatchObject([
        { id: lastSeen, data: 2 },
      ]);
    });

    it('should be dropped after the stall timeout even with little held for it', async () => {
      const erin = await newUser();
      const stalled = await connect('/notifications/stream', cookie(await tokenOf(erin)));
      await stalled.waitFor((s) => s.frames.length >= 1);
      stalled.response.pause();
      const serverSide = serverSocketOf(stalled);
      const notifications = t.app.get(NotificationsService);
      const big = 'y'.repeat(60_000);
      let sent = 0;
      // Fill the kernel's buffers, then stop: the server holds at most one event.
      while (sent < 600 && !serverSide.writableNeedDrain && !serverSide.destroyed) {
        await notifications.announce('announcement', { message: `${sent} ${big}` });
        sent++;
        await nextTurn();
      }
      expect(serverSide.writableNeedDrain).toBe(true);
      const stoppedAt = Date.now();
      expect(await eventually(() => Promise.resolve(serverSide.destroyed), true, 3000)).toBe(true);
      // The stall timeout (500 ms), plus a heartbeat tick or two.
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(400);
      expect(await eventually(openStreams, 0)).toBe(0);
    });
  });

  describe('logout', () => {
    it("should end a logged-out session's streams at once, whichever way they were opened, and refuse it after", async () => {
      const frank = await newUser();
      const [loggingOut, staying] = [await tokenOf(frank), await tokenOf(frank)];
      const doomed = [
        await connect('/notifications/stream', cookie(loggingOut)),
        await connect('/notifications/stream', cookie(loggingOut)),
        await connect('/notifications/stream', bearer(loggingOut)),
      ];
      const other = await connect('/notifications/stream', cookie(staying));
      for (const stream of [...doomed, other]) {
        await stream.waitFor((s) => s.lastEventId !== '');
      }
      /** Where the logged-out session's streams stood: a cursor it could resume from. */
      const cursor = doomed[0].lastEventId;
      expect(await openStreams()).toBe(4);

      const logout = await request(t.app.getHttpServer())
        .post('/api/auth/logout')
        .set(bearer(loggingOut));
      expect(logout.status).toBe(204);
      const loggedOutAt = Date.now();
      for (const stream of doomed) {
        await stream.waitFor((s) => s.ended, 500);
        expect(stream.frames.at(-1)).toMatchObject({ event: 'session_ended' });
      }
      expect(Date.now() - loggedOutAt).toBeLessThan(500);
      expect(await eventually(openStreams, 1)).toBe(1);

      // The same token can't open a stream again, with or without a cursor.
      const retries = [
        await rawGet(t.baseUrl, '/notifications/stream', cookie(loggingOut)),
        await rawGet(t.baseUrl, '/notifications/stream', bearer(loggingOut)),
        await rawGet(t.baseUrl, '/notifications/stream', {
          ...cookie(loggingOut),
          'Last-Event-ID': cursor,
        }),
        await rawGet(t.baseUrl, `/notifications/stream?lastEventId=${cursor}`, bearer(loggingOut)),
      ];
      expect(retries.map((r) => r.status)).toEqual([401, 401, 401, 401]);

      // The other session's stream is untouched and still alive.
      const heartbeats = other.frames.filter((f) => f.comment !== undefined).length;
      await other.waitFor(
        (s) => s.frames.filter((f) => f.comment !== undefined).length > heartbeats,
        1000,
      );
      expect(other.ended).toBe(false);
    });

    it('should leave no stream of the session open when connects race the logout', async () => {
      const grace = await newUser();
      const token = await tokenOf(grace);
      const connects = Array.from({ length: 20 }, () =>
        SseClient.connect(t.baseUrl, '/notifications/stream', cookie(token)).then((c) => {
          open.push(c);
          return c;
        }),
      );
      const logout = request(t.app.getHttpServer()).post('/api/auth/logout').set(bearer(token));
      const [streams, loggedOut] = await Promise.all([Promise.all(connects), logout]);
      expect(loggedOut.status).toBe(204);
      const statuses = streams.map((s) => s.response.statusCode ?? 0);
      expect(statuses.filter((s) => ![200, 401, 429].includes(s))).toEqual([]);
      const accepted = streams.filter((s) => s.response.statusCode === 200);
      for (const stream of accepted) {
        await stream.waitFor((s) => s.ended, 1000);
      }
      expect(await eventually(openStreams, 0)).toBe(0);
      expect((await rawGet(t.baseUrl, '/notifications/stream', cookie(token))).status).toBe(401);
    });
  });
});
