import { HttpException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Subscription } from 'rxjs';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { StreamEvent } from './bus/notification-bus';
import { NotificationStreamService, parseLastEventId } from './notification-stream.service';
import { NotificationsService } from './notifications.service';
import { SseMessage } from './stream-connection';

const event = (id: number, name = 'unread_message_count'): StreamEvent => ({
  id,
  name,
  json: JSON.stringify({ name, data: id, timestamp: id }),
});

/** A client socket that stops reading while `writableNeedDrain` is true. */
class FakeSocket extends EventEmitter {
  writableNeedDrain = false;
  destroyed = false;
  destroy() {
    this.destroyed = true;
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

describe(NotificationStreamService.name, () => {
  let sut: NotificationStreamService;
  let bus: InProcessNotificationBus;
  let backlogs: ((events: StreamEvent[]) => void)[];

  const open = (userId: number, lastEventId: number | null = null, sessionId = 's1'): Client => {
    const socket = new FakeSocket();
    const abort = new AbortController();
    const client = { messages: [], socket, abort, completed: false } as unknown as Client;
    client.subscription = sut
      .open({
        userId,
        sessionId,
        lastEventId,
        socket: socket as unknown as Socket,
        signal: abort.signal,
      })
      .subscribe({
        next: (message) => client.messages.push(message),
        complete: () => (client.completed = true),
      });
    return client;
  };
  const dataIds = (client: Client) =>
    client.messages.filter((m) => m.data !== undefined).map((m) => Number(m.id));
  const heartbeats = (client: Client) =>
    client.messages.filter((m) => m.comment !== undefined).length;
  const readBacklog = async (events: StreamEvent[] = []) => {
    backlogs.shift()?.(events);
    await Promise.resolve();
  };

  beforeEach(() => {
    jest.useFakeTimers();
    backlogs = [];
    bus = new InProcessNotificationBus();
    const notifications = {
      backlog: () => new Promise<StreamEvent[]>((resolve) => backlogs.push(resolve)),
    } as unknown as NotificationsService;
    const config = {
      getOrThrow: () => ({
        sseHeartbeatMs: 20_000,
        sseRetryMs: 3000,
        sseStallTimeoutMs: 60_000,
        sseMaxStreamsPerUser: 3,
      }),
    } as unknown as ConfigService;
    sut = new NotificationStreamService(bus, notifications, config as never);
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('should send the retry frame, the backlog, then what arrived meanwhile, once each', async () => {
    const client = open(7, 10);
    bus.publish(7, event(12)); // committed after registration, also found by the backlog
    bus.publish(7, event(13)); // committed after the backlog read
    await readBacklog([event(11), event(12)]);
    bus.publish(7, event(14));
    expect(client.messages[0]).toEqual({ id: '10', retry: 3000 });
    expect(dataIds(client)).toEqual([11, 12, 13, 14]);
  });

  it('should hand every stream of an event the same message, its JSON as a string', async () => {
    const first = open(7);
    const second = open(8);
    await readBacklog();
    await readBacklog();
    const shared = event(20);
    bus.publish(7, shared);
    bus.publishToAll(event(21));
    bus.publish(8, shared);
    expect(first.messages[1]).toBe(second.messages[2]);
    expect(first.messages[1]).toEqual({ id: '20', data: shared.json });
    expect(dataIds(first)).toEqual([20, 21]);
    expect(dataIds(second)).toEqual([21, 20]);
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
    await readBacklog();
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
    sut.open({ userId: 7, sessionId: 's', lastEventId: null, socket, signal: abort.signal });
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

  it("should end only the logged-out session's streams, with a session_ended event", async () => {
    const laptop = open(7, null, 'laptop');
    const phone = open(7, null, 'phone');
    await readBacklog();
    await readBacklog();
    bus.endStreams(7, 'laptop');
    expect(laptop.completed).toBe(true);
    expect(laptop.messages.at(-1)).toMatchObject({ type: 'session_ended' });
    expect(phone.completed).toBe(false);
    bus.endStreams(7, null);
    expect(phone.completed).toBe(true);
  });

  it('should catch every stream up from its last event on resync', async () => {
    const client = open(7);
    await readBacklog();
    bus.publish(7, event(30));
    sut.resync();
    await readBacklog([event(31), event(32)]);
    expect(dataIds(client)).toEqual([30, 31, 32]);
  });

  it('should not repeat or undo an event that went out live while a catch-up ran', async () => {
    const client = open(7);
    await readBacklog();
    sut.resync();
    bus.publish(7, event(31)); // arrives live while the catch-up query runs
    bus.publish(7, event(33, 'announcement'));
    // The query found 31 too, and an older announcement than the one already sent.
    await readBacklog([event(31), event(32, 'announcement'), event(34)]);
    expect(dataIds(client)).toEqual([31, 33, 34]);
    bus.publish(7, event(35));
    expect(dataIds(client)).toEqual([31, 33, 34, 35]);
  });

  it('should end every stream with a retry hint when the server stops', async () => {
    const client = open(7, 12);
    await readBacklog();
    sut.beforeApplicationShutdown();
    expect(client.messages.at(-1)).toEqual({ id: '12', retry: 3000 });
    expect(client.completed).toBe(true);
  });
});

describe(parseLastEventId.name, () => {
  it('should take the first numeric cursor and ignore anything else', () => {
    expect(parseLastEventId('42', '7')).toBe(42);
    expect(parseLastEventId(undefined, '7')).toBe(7);
    expect(parseLastEventId('abc', ['1'], '-1', '1e3')).toBeNull();
  });
});
