import { MessageEvent } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter } from 'node:events';
import type { Response } from 'express';
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
  destroy() {
    this.destroyed = true;
  }
}

describe(NotificationStreamService.name, () => {
  let sut: NotificationStreamService;
  let bus: InProcessNotificationBus;
  let resolveBacklog: (events: StreamEvent[]) => void;
  let res: FakeResponse;
  let received: MessageEvent[];
  let close: () => void;

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
    received = [];
    const subscription = sut
      .open(7, 10, res as unknown as Response)
      .subscribe((message) => received.push(message));
    close = () => subscription.unsubscribe();
  });

  afterEach(() => {
    close();
    jest.useRealTimers();
  });

  const dataIds = () => received.filter((m) => m.data !== undefined).map((m) => Number(m.id));

  it('should send the backlog, then what arrived while it was read, with no duplicate', async () => {
    bus.publish(7, event(12)); // committed after the subscription, also found by the backlog
    bus.publish(7, event(13)); // committed after the backlog read
    resolveBacklog([event(11), event(12)]);
    await Promise.resolve();
    bus.publish(7, event(14));
    expect(received[0]).toEqual({ id: '10', retry: 3000 });
    expect(dataIds()).toEqual([11, 12, 13, 14]);
  });

  it('should keep only the newest event per name for a client that is not reading', async () => {
    resolveBacklog([]);
    await Promise.resolve();
    res.writableNeedDrain = true;
    for (let id = 20; id < 1020; id++) {
      bus.publish(7, event(id));
    }
    bus.publish(7, event(1020, 'announcement'));
    expect(dataIds()).toEqual([]);
    res.writableNeedDrain = false;
    res.emit('drain');
    expect(dataIds()).toEqual([1019, 1020]);
  });

  it('should drop a client that reads nothing for the stall timeout', async () => {
    resolveBacklog([]);
    await Promise.resolve();
    res.writableNeedDrain = true;
    bus.publish(7, event(30));
    jest.advanceTimersByTime(59_000);
    expect(res.destroyed).toBe(false);
    jest.advanceTimersByTime(1_000);
    expect(res.destroyed).toBe(true);
  });

  it('should release its subscription, timers and listeners when closed', async () => {
    resolveBacklog([]);
    await Promise.resolve();
    res.writableNeedDrain = true;
    bus.publish(7, event(40));
    expect(sut.openCount).toBe(1);
    close();
    expect(bus.subscriptionCount).toBe(0);
    expect(sut.openCount).toBe(0);
    expect(res.listenerCount('drain')).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe(parseLastEventId.name, () => {
  it('should take the first numeric cursor and ignore anything else', () => {
    expect(parseLastEventId('42', '7')).toBe(42);
    expect(parseLastEventId(undefined, '7')).toBe(7);
    expect(parseLastEventId('abc', ['1'], '-1', '1e3')).toBeNull();
  });
});
