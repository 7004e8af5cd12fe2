import { ConfigService } from '@nestjs/config';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { InProcessNotificationBus } from './bus/in-process-notification-bus';
import { StreamEvent } from './bus/notification-bus';
import { NotificationStreamService, parseLastEventId } from './notification-stream.service';
import { NotificationsService } from './notifications.service';

const event = (id: number, name = 'unread_message_count'): StreamEvent => ({
  id,
  name,
  json: JSON.stringify({ name, data: id, timestamp: id }),
});

/** A response whose client reads nothing while `writableNeedDrain` is true. */
class FakeResponse extends EventEmitter {
  writableNeedDrain = false;
  destroyed = false;
  readonly written: string[] = [];
  writeHead() {
    return this;
  }
  write(chunk: string | Buffer) {
    this.written.push(chunk.toString());
    return true;
  }
  end() {
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
  /** Ids of the data frames written so far. */
  get dataIds(): number[] {
    return this.written
      .filter((frame) => frame.includes('\ndata: '))
      .map((frame) => Number(/^id: (\d+)/.exec(frame)?.[1]));
  }
}

describe(NotificationStreamService.name, () => {
  let sut: NotificationStreamService;
  let bus: InProcessNotificationBus;
  let resolveBacklog: (events: StreamEvent[]) => void;
  let res: FakeResponse;

  beforeEach(() => {
    jest.useFakeTimers();
    bus = new InProcessNotificationBus();
    const notifications = {
      backlog: () => new Promise<StreamEvent[]>((resolve) => (resolveBacklog = resolve)),
    } as unknown as NotificationsService;
    const config = {
      getOrThrow: () => ({ sseHeartbeatMs: 20_000, sseRetryMs: 3000, sseStallTimeoutMs: 60_000 }),
    } as unknown as ConfigService;
    sut = new NotificationStreamService(bus, notifications, config as never);
    res = new FakeResponse();
    sut.open(7, 10, res as unknown as ServerResponse);
  });

  afterEach(() => {
    res.emit('close');
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  const openBacklog = async (events: StreamEvent[] = []) => {
    resolveBacklog(events);
    await Promise.resolve();
  };

  it('should send the backlog, then what arrived while it was read, with no duplicate', async () => {
    bus.publish(7, event(12)); // committed after the subscription, also found by the backlog
    bus.publish(7, event(13)); // committed after the backlog read
    await openBacklog([event(11), event(12)]);
    bus.publish(7, event(14));
    expect(res.written[0]).toBe('id: 10\nretry: 3000\n\n');
    expect(res.dataIds).toEqual([11, 12, 13, 14]);
  });

  it('should keep only the newest event per name for a client that is not reading', async () => {
    await openBacklog();
    res.writableNeedDrain = true;
    for (let id = 20; id < 1020; id++) {
      bus.publish(7, event(id));
    }
    bus.publish(7, event(1020, 'announcement'));
    expect(res.dataIds).toEqual([]);
    res.writableNeedDrain = false;
    res.emit('drain');
    expect(res.dataIds).toEqual([1019, 1020]);
  });

  it('should drop a client that reads nothing for the stall timeout', async () => {
    await openBacklog();
    res.writableNeedDrain = true;
    bus.publish(7, event(30));
    jest.advanceTimersByTime(59_000);
    expect(res.destroyed).toBe(false);
    jest.advanceTimersByTime(1_000);
    expect(res.destroyed).toBe(true);
    expect(sut.openCount).toBe(0);
  });

  it('should spread heartbeats over the interval, one comment per stream per interval', async () => {
    await openBacklog();
    const others = Array.from({ length: 39 }, (_, i) => {
      const other = new FakeResponse();
      sut.open(100 + i, null, other as unknown as ServerResponse);
      return other;
    });
    const all = [res, ...others];
    const beats = () => all.filter((r) => r.written.includes(':\n\n')).length;
    // 20 s in ticks of 100 ms: each tick writes to the streams of one slice of 200.
    jest.advanceTimersByTime(100);
    expect(beats()).toBe(1);
    jest.advanceTimersByTime(900);
    expect(beats()).toBe(10);
    jest.advanceTimersByTime(19_000);
    expect(beats()).toBe(40);
    others.forEach((other) => other.emit('close'));
  });

  it('should release its subscription, timers and listeners when the client goes', async () => {
    await openBacklog();
    res.writableNeedDrain = true;
    bus.publish(7, event(40));
    expect(sut.openCount).toBe(1);
    res.emit('close');
    expect(bus.subscriptionCount).toBe(0);
    expect(sut.openCount).toBe(0);
    expect(res.listenerCount('drain')).toBe(0);
    sut.onModuleDestroy();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('should end the streams of a user whose account was closed, in every process', async () => {
    await openBacklog();
    sut.closeStreamsOf(7);
    expect(sut.openCount).toBe(0);
  });
});

describe(parseLastEventId.name, () => {
  it('should take the first numeric cursor and ignore anything else', () => {
    expect(parseLastEventId('42', '7')).toBe(42);
    expect(parseLastEventId(undefined, '7')).toBe(7);
    expect(parseLastEventId('abc', ['1'], '-1', '1e3')).toBeNull();
  });
});
