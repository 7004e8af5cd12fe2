import type { Socket } from 'node:net';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { MessagesService } from '../../src/messages/messages.service';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { SseClient } from '../utils/sse-client';
import { createTestApp, TestApp } from '../utils/test-app';
import { eventually, rawGet, sleep } from './attack-helpers';

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
   * Messages from a fresh sender: the recipient's unread count goes up by `count`, and
   * new_message names the last one. Returns the sender and that message's id.
   */
  async function sendTo(recipient: User, count: number) {
    const sender = await newUser();
    let last = 0;
    for (let i = 0; i < count; i++) {
      last = (await t.app.get(MessagesService).send(sender, recipient, `message ${i}`)).id;
    }
    return { sender, last };
  }

  /** The unread counts a stream carried (a send also announces new_message). */
  const counts = (client: SseClient) =>
    client.events.filter((e) => e.name === 'unread_message_count').map((e) => e.data);

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

    it("should ignore ?user=, ?userId= and the like: a stream carries only its own user's events", async () => {
      const bob = await newUser();
      const carol = await newUser();
      await sendTo(bob, 3);
      const toCarol = await sendTo(carol, 1);
      const bobs = await connect('/notifications/stream', cookie(await tokenOf(bob)));
      const hostile = `?user=${bob.id}&userId=${bob.id}&user_id=${bob.id}&sub=${bob.id}&id=${bob.id}`;
      const carols = await connect(`/notifications/stream${hostile}`, {
        ...cookie(await tokenOf(carol)),
        'X-User-Id': String(bob.id),
      });
      await bobs.waitFor((s) => s.events.length === 2);
      await carols.waitFor((s) => s.events.length === 2);
      expect(carols.events.map((e) => [e.name, e.data])).toEqual([
        ['unread_message_count', 1],
        ['new_message', { id: toCarol.last, peer: toCarol.sender.username }],
      ]);

      await sendTo(bob, 1);
      await bobs.waitFor((s) => s.events.length === 4);
      await sleep(200);
      expect(counts(bobs)).toEqual([3, 4]);
      expect(carols.events).toHaveLength(2);
    });
  });

  describe('Last-Event-ID', () => {
    const JUNK = [
      '9'.repeat(5000),
      '-1',
      '-99999999999999999999',
      'abc',
      '',
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
    ];

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
    ])('should start a fresh stream for junk in %s, never a 5xx', async (_where, place) => {
      const bob = await newUser();
      await sendTo(bob, 2);
      const token = await tokenOf(bob);
      const observed = [];
      for (const junk of JUNK) {
        const { path, headers } = place(junk);
        const stream = await connect(`/notifications/stream${path}`, {
          ...cookie(token),
          ...headers,
        });
        expect([junk, stream.response.statusCode]).toEqual([junk, 200]);
        await stream.waitFor((s) => s.events.length >= 2);
        await sleep(20);
        observed.push([junk.slice(0, 30), stream.frames[0], counts(stream)]);
        stream.close();
        // One at a time: the cap is a few streams.
        await eventually(openStreams, 0);
      }
      // A fresh stream: the cursor starts at 0 and the current count comes first.
      expect(observed).toEqual(
        JUNK.map((junk) => [junk.slice(0, 30), { id: '0', retry: RETRY_MS }, [2]]),
      );
    });

    it('should take a repeated ?lastEventId= as junk, and a good query value after a junk header', async () => {
      const bob = await newUser();
      await sendTo(bob, 1);
      const token = await tokenOf(bob);
      const first = await connect('/notifications/stream', cookie(token));
      await first.waitFor((s) => s.events.length === 2);
      const seen = first.lastEventId;
      first.close();
      await sendTo(bob, 1);

      const repeated = await connect(
        `/notifications/stream?lastEventId=${seen}&lastEventId=${seen}`,
        cookie(token),
      );
      // A repeated parameter is no cursor: a fresh stream, with the current count as state.
      await repeated.waitFor((s) => s.states.length === 1);
      expect([repeated.frames[0].id, repeated.states.map((e) => e.data)]).toEqual(['', [2]]);

      const resumed = await connect(`/notifications/stream?lastEventId=${seen}`, {
        ...cookie(token),
        'Last-Event-ID': '-5',
      });
      await resumed.waitFor((s) => s.events.length === 2);
      expect(resumed.frames[0]).toEqual({ id: seen, retry: RETRY_MS });
      expect(resumed.events.every((e) => e.seq > Number(seen.split(':')[0]))).toBe(true);
      expect(counts(resumed)).toEqual([2]);
    });

    it('should keep a stream resumed from an id past every stored one usable', async () => {
      const bob = await newUser();
      await sendTo(bob, 1);
      const future = '999999999999999';
      const stream = await connect('/notifications/stream', {
        ...cookie(await tokenOf(bob)),
        'Last-Event-ID': future,
      });
      expect(stream.response.statusCode).toBe(200);
      await stream.waitFor((s) => s.frames.length >= 1);
      expect(stream.frames[0]).toEqual({ id: future, retry: RETRY_MS });
      await sendTo(bob, 1);
      await stream.waitFor((s) => s.events.length === 2);
      expect(counts(stream)).toEqual([2]);
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

    it('should be dropped with a bounded amount held for it, then resume to exactly the latest state', async () => {
      const dave = await newUser();
      const token = await tokenOf(dave);
      const stalled = await connect('/notifications/stream', cookie(token));
      await stalled.waitFor((s) => s.frames.length >= 1);
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

      // The client resumes from the last event it got, after something else changed.
      const toDave = await sendTo(dave, 2);
      const lastSeen = stalled.events.at(-1)?.id ?? 0;
      const resumed = await connect('/notifications/stream', {
        ...cookie(token),
        'Last-Event-ID': String(lastSeen),
      });
      await resumed.waitFor((s) => s.events.length >= 3);
      await sleep(200);
      expect(
        resumed.events.map((e) => [
          e.name,
          e.name === 'announcement'
            ? (e.data as { message: string }).message.split(' ')[0]
            : e.data,
        ]),
      ).toEqual([
        ['announcement', String(sent - 1)],
        ['unread_message_count', 2],
        ['new_message', { id: toDave.last, peer: toDave.sender.username }],
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
        await stream.waitFor((s) => s.frames.length >= 1);
      }
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
          'Last-Event-ID': '1',
        }),
        await rawGet(t.baseUrl, '/notifications/stream?lastEventId=1', bearer(loggingOut)),
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
