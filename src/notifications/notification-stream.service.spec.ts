import { HttpException, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Subscription } from 'rxjs';
import { SessionsService } from '../auth/sessions.service';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { StreamEvent } from './bus/notification-bus';
import { Cursor, parseCursor, UNKNOWN_CURSOR } from './event-cursor';
import { EventLogService } from './event-log.service';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsService } from './notifications.service';
import { SseMessage } from './stream-connection';

/** User 7's event number `seq` (after `before` announcements), or announcement `seq` (user null). */
const event = (
  userId: number | null,
  seq: number,
  before = 0,
  extra: Partial<StreamEvent> = {},
): StreamEvent => ({
  userId,
  seq,
  announcementsBefore: userId === null ? seq - 1 : before,
  name: userId === null ? 'announcement' : 'new_message',
  json: JSON.stringify({ seq }),
  ...extra,
});

/** A client socket that stops reading while `writableNeedDrain` is true. */
class FakeSocket extends EventEmitter {
  writableNeedDrain = false;
  destroyed = false;
  /** cork() calls not yet matched by uncork(). */
  corked = 0;
  destroy() {
    this.destroyed = true;
  }
  cork() {
    this.corked++;
  }
  uncork() {
    this.corked--;
  }
}

/** One subscribed stream, as Nest's @Sse would subscribe to it. */
interface Client {
  messages: SseMessage[];
  socket: FakeSocket;
  abort: AbortController;
  subscription: Subscription;
  completed: boolean;
}

/** A log read the test answers: `replay` or `position`, and the cursor it was asked from. */
interface PendingRead {
  kind: 'replay' | 'position';
  from?: Cursor;
  answer: (value: StreamEvent[] | null | Cursor) => void;
}

describe(NotificationStreamService.name, () => {
  let sut: NotificationStreamService;
  let bus: InProcessNotificationBus;
  let reads: PendingRead[];
  let liveSessions: Set<string>;
  /** users.event_seq as the announcement placement reads it. */
  let userSeqs: Map<number, number>;
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  const open = (
    userId: number,
    from: Cursor | typeof UNKNOWN_CURSOR | null = null,
    sessionId = 's1',
  ): Client => {
    const socket = new FakeSocket();
    const abort = new AbortController();
    const client = { messages: [], socket, abort, completed: false } as unknown as Client;
    client.subscription = sut
      .open({ userId, sessionId, from, socket: socket as unknown as Socket, signal: abort.signal })
      .subscribe({
        next: (message) => client.messages.push(message),
        complete: () => (client.completed = true),
      });
    return client;
  };
  const flush = async () => {
    for (let i = 0; i < 5; i++) {
      await Promise.resolve();
    }
  };
  /** Answers the oldest pending read of the log. */
  const answer = async (value: StreamEvent[] | null | Cursor) => {
    await flush();
    const read = reads.shift();
    if (!read) {
      throw new Error('no read of the log is pending');
    }
    read.answer(value);
    await flush();
  };
  /** The ids of the data frames sent (state frames left out). */
  const sent = (client: Client) =>
    client.messages.filter((m) => m.data && m.type === undefined).map((m) => String(m.id));
  const heartbeats = (client: Client) =>
    client.messages.filter((m) => m.comment !== undefined).length;

  beforeEach(() => {
    // setImmediate stays real: announcements are placed in a batch on the next turn.
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    reads = [];
    userSeqs = new Map();
    liveSessions = new Set(['s1', 'laptop', 'phone']);
    bus = new InProcessNotificationBus();
    const log = {
      replay: (_: number, from: Cursor) =>
        new Promise((answer) => reads.push({ kind: 'replay', from, answer })),
      position: () => new Promise((answer) => reads.push({ kind: 'position', answer })),
      eventSeqs: (ids: number[]) =>
        Promise.resolve(new Map(ids.map((id) => [id, userSeqs.get(id) ?? 0]))),
    } as unknown as EventLogService;
    const notifications = {
      since: () => Promise.resolve([{ name: 'unread_message_count', data: 3, timestamp: 1 }]),
    } as unknown as NotificationsService;
    const sessions = {
      live: (ids: string[]) => Promise.resolve(new Set(ids.filter((id) => liveSessions.has(id)))),
    } as unknown as SessionsService;
    const config = {
      getOrThrow: () => ({
        sseHeartbeatMs: 20_000,
        sseRetryMs: 3000,
        sseStallTimeoutMs: 60_000,
        sseMaxStreamsPerUser: 3,
      }),
    } as unknown as ConfigService;
    sut = new NotificationStreamService(bus, log, notifications, sessions, config as never);
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('should start a fresh stream at the current position with the state, then send live events', async () => {
    const client = open(7);
    bus.publish(7, event(7, 5)); // committed before the position was read: counted in it
    await answer({ seq: 5, announcement: 1 });
    bus.publish(7, event(7, 6, 1));
    expect(client.messages.slice(0, 3)).toEqual([
      { id: '', retry: 3000 },
      // The position, even where no state follows: a reconnect resumes from it.
      { id: '5:1', retry: 3000 },
      {
        type: 'state',
        id: '5:1',
        data: JSON.stringify({ name: 'unread_message_count', data: 3, timestamp: 1 }),
      },
    ]);
    expect(sent(client)).toEqual(['6:1']);
  });

  it('should replay every event after the cursor in order, then what arrived meanwhile, once each', async () => {
    const client = open(7, { seq: 10, announcement: 2 });
    bus.publish(7, event(7, 12, 2)); // committed after registration, also found by the replay
    bus.publish(7, event(7, 13, 3)); // committed after the replay read
    await answer([event(7, 11, 2), event(7, 12, 2), event(null, 3)]);
    expect(reads).toHaveLength(0);
    bus.publish(7, event(7, 14, 3));
    expect(client.messages[0]).toEqual({ id: '10:2', retry: 3000 });
    expect(client.messages[1]).toMatchObject({ type: 'state', id: '10:2' });
    expect(sent(client)).toEqual(['11:2', '12:2', '12:3', '13:3', '14:3']);
  });

  it('should hold the opening frame in the socket until the state joins it, for one write', async () => {
    const fresh = open(7);
    const resumed = open(7, { seq: 4, announcement: 0 });
    expect([fresh.socket.corked, resumed.socket.corked]).toEqual([1, 1]);
    expect(fresh.messages).toEqual([{ id: '', retry: 3000 }]);

    await answer({ seq: 5, announcement: 0 }); // the position of `fresh`
    await answer([event(7, 5)]); // the replay of `resumed`
    // Nest writes the frames one per tick: the socket lets them out on the next turn.
    expect([fresh.socket.corked, resumed.socket.corked]).toEqual([1, 1]);
    await nextTurn();
    expect([fresh.socket.corked, resumed.socket.corked]).toEqual([0, 0]);
    expect(sent(resumed)).toEqual(['5:0']);
    expect(fresh.messages.map((m) => m.type)).toEqual([undefined, undefined, 'state']);
  });

  it('should let the opening frame out when the first read fails', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const client = open(7);
    await answer(Promise.reject(new Error('database gone')) as never);
    await nextTurn();
    expect([client.completed, client.socket.corked]).toEqual([true, 0]);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('should hold what comes after a gap, read the log from the cursor, and send all in order', async () => {
    const client = open(7, { seq: 4, announcement: 0 });
    await answer([]);
    bus.publish(7, event(7, 6)); // 5 is still on its way (another process, or a later commit)
    expect(sent(client)).toEqual([]);
    bus.publish(7, event(7, 5)); // arrives while the read runs
    await answer([event(7, 5), event(7, 6), event(7, 7)]);
    bus.publish(7, event(7, 7));
    bus.publish(7, event(7, 8));
    expect(sent(client)).toEqual(['5:0', '6:0', '7:0', '8:0']);
  });

  it('should send a long replay only as fast as the client reads, live events after it', async () => {
    const client = open(7, { seq: 0, announcement: 0 });
    client.socket.writableNeedDrain = true; // the client has not read what was written
    bus.publish(7, event(7, 4));
    await answer([event(7, 1), event(7, 2), event(7, 3)]);
    expect(sent(client)).toEqual([]);
    client.socket.writableNeedDrain = false;
    client.socket.emit('drain');
    expect(sent(client)).toEqual(['1:0', '2:0', '3:0', '4:0']);
  });

  it('should drop a client once what is held for it passes the limit of unsent data', async () => {
    const client = open(7, { seq: 0, announcement: 0 });
    client.socket.writableNeedDrain = true;
    await answer([event(7, 1)]);
    const big = 'x'.repeat(100 * 1024);
    [2, 3].forEach((seq) => bus.publish(7, event(7, seq, 0, { json: big })));
    expect(client.completed).toBe(false);
    bus.publish(7, event(7, 4, 0, { json: big }));
    expect([client.completed, client.socket.destroyed]).toEqual([true, true]);
  });

  it('should read the log to place an announcement when the user has events past the cursor', async () => {
    const client = open(7, { seq: 1, announcement: 0 });
    await answer([]);
    userSeqs.set(7, 2); // the user's event 2 committed before it, not yet here
    bus.publishToAll(event(null, 1));
    await nextTurn();
    expect(reads.map((r) => r.from)).toEqual([{ seq: 1, announcement: 0 }]);
    await answer([event(7, 2, 0), event(null, 1)]);
    bus.publish(7, event(7, 2, 0)); // late: already sent
    bus.publish(7, event(7, 3, 1));
    expect(sent(client)).toEqual(['2:0', '2:1', '3:1']);
  });

  it('should send an announcement without a log read to every stream that is up to date', async () => {
    const clients = [open(7, { seq: 4, announcement: 0 }), open(8, { seq: 0, announcement: 0 })];
    await answer([]);
    await answer([]);
    userSeqs.set(7, 4);
    bus.publishToAll(event(null, 1));
    bus.publish(7, event(7, 5, 1)); // commits after it, arrives while it is placed
    await nextTurn();
    await flush();
    expect(reads).toHaveLength(0);
    expect(clients.map(sent)).toEqual([['4:1', '5:1'], ['0:1']]);
  });

  it('should reset a client whose cursor the log no longer holds, or one it never gave out', async () => {
    const pruned = open(7, { seq: 2, announcement: 0 });
    await answer(null);
    await answer({ seq: 40, announcement: 3 });
    expect(pruned.messages[1]).toEqual({ type: 'reset', id: '40:3', data: '{}' });
    expect(pruned.messages[2]).toMatchObject({ type: 'state', id: '40:3' });
    expect(pruned.messages).toHaveLength(3);
    const stranger = open(8, parseCursor('1234'));
    expect(reads[0].kind).toBe('position');
    await answer({ seq: 1, announcement: 3 });
    expect(stranger.messages[1]).toEqual({ type: 'reset', id: '1:3', data: '{}' });
  });

  it("should end only the ended session's streams, and never send a session end", async () => {
    const laptop = open(7, { seq: 0, announcement: 0 }, 'laptop');
    const phone = open(7, { seq: 0, announcement: 0 }, 'phone');
    await answer([]);
    await answer([]);
    bus.publish(7, event(7, 1, 0, { name: 'session_ended', endsSession: 'laptop' }));
    expect(laptop.completed).toBe(true);
    expect(laptop.messages.at(-1)).toEqual({ type: 'session_ended', id: '1:0', data: '{}' });
    expect(phone.completed).toBe(false);
    bus.publish(7, event(7, 2));
    expect(sent(phone)).toEqual(['2:0']);
    bus.publish(7, event(7, 3, 0, { name: 'session_ended', endsSession: null }));
    expect(phone.completed).toBe(true);
  });

  it('should end the streams of sessions gone on resync, and catch the others up', async () => {
    const gone = open(7, { seq: 0, announcement: 0 }, 'laptop');
    const kept = open(7, { seq: 0, announcement: 0 }, 'phone');
    await answer([]);
    await answer([]);
    liveSessions.delete('laptop'); // its end was lost with Redis
    sut.resync();
    await flush();
    expect(gone.completed).toBe(true);
    expect(reads.map((r) => r.from)).toEqual([{ seq: 0, announcement: 0 }]);
    await answer([event(7, 1)]);
    expect(sent(kept)).toEqual(['1:0']);
  });

  it('should spread heartbeats over the interval, one comment per stream per interval', () => {
    const clients = Array.from({ length: 40 }, (_, i) => open(100 + i));
    const beaten = () => clients.filter((c) => heartbeats(c) > 0).length;
    // 20 s in ticks of 100 ms: each tick writes to the streams of one slice of 200.
    jest.advanceTimersByTime(100);
    expect(beaten()).toBe(1);
    jest.advanceTimersByTime(900);
    expect(beaten()).toBe(10);
    jest.advanceTimersByTime(19_000);
    expect(beaten()).toBe(40);
    expect(clients.every((c) => heartbeats(c) === 1)).toBe(true);
  });

  it('should drop a client whose socket takes nothing for the stall timeout', async () => {
    const client = open(7);
    await answer({ seq: 0, announcement: 0 });
    client.socket.writableNeedDrain = true;
    jest.advanceTimersByTime(40_000);
    expect(client.socket.destroyed).toBe(false);
    jest.advanceTimersByTime(40_000);
    expect(client.socket.destroyed).toBe(true);
    expect(heartbeats(client)).toBe(0);
  });

  it('should release a stream when it is unsubscribed, or aborted before it ever was', () => {
    const client = open(7);
    expect(sut.openCount).toBe(1);
    client.subscription.unsubscribe();
    client.abort.abort();
    expect(sut.openCount).toBe(0);

    const abort = new AbortController();
    const socket = null;
    sut.open({ userId: 7, sessionId: 's', from: null, socket, signal: abort.signal });
    expect(sut.openCount).toBe(1);
    abort.abort();
    expect(sut.openCount).toBe(0);
  });

  it('should refuse a stream over the per-user cap with 429, and take one once a slot frees', () => {
    const clients = [open(7), open(7), open(7)];
    open(8);
    let refused: unknown;
    try {
      open(7);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(HttpException);
    expect((refused as HttpException).getStatus()).toBe(429);
    expect(sut.openCount).toBe(4);
    clients[0].subscription.unsubscribe();
    expect(() => open(7)).not.toThrow();
  });

  it('should end every stream with a retry hint when the server stops', async () => {
    const client = open(7, { seq: 12, announcement: 0 });
    await answer([]);
    sut.beforeApplicationShutdown();
    expect(client.messages.at(-1)).toEqual({ id: '12:0', retry: 3000 });
    expect(client.completed).toBe(true);
  });
});

describe(parseCursor.name, () => {
  it('should take the first cursor sent, null for none, unknown for one that is not ours', () => {
    expect(parseCursor('42:3', '7:0')).toEqual({ seq: 42, announcement: 3 });
    expect(parseCursor('-5', '7:1')).toEqual({ seq: 7, announcement: 1 });
    expect(parseCursor(undefined, '7:0')).toEqual({ seq: 7, announcement: 0 });
    expect(parseCursor(undefined, '')).toBeNull();
    expect(parseCursor(undefined, ['1:0', '2:0'])).toBe(UNKNOWN_CURSOR);
    expect(parseCursor('abc')).toBe(UNKNOWN_CURSOR);
    expect(parseCursor('42')).toBe(UNKNOWN_CURSOR);
  });
});
