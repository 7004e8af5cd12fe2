import Redis from 'ioredis';
import { StreamEvent, StreamReceiver } from '../../src/notifications/bus/notification-bus';
import { RedisNotificationBus } from '../../src/notifications/bus/redis-notification-bus';
import { RedisProcess } from './app-process';

/** What one process's bus hands its stream registry. */
class Recorder implements StreamReceiver {
  readonly seen: string[] = [];
  deliver(userId: number | null, event: StreamEvent): void {
    this.seen.push(`event ${userId} ${event.seq}`);
  }
  resync(): void {
    this.seen.push('resync');
  }
  deliverToTopics(topics: string[], json: string): void {
    this.seen.push(`topics ${topics.join(',')} ${json}`);
  }
}

const event = (seq: number): StreamEvent => ({
  userId: seq,
  seq,
  announcementsBefore: 0,
  name: 'unread_message_count',
  json: '{}',
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Two processes' buses on one Redis. When only the publisher connections drop (the subscribers
 * stay up), a notification published in that window never reaches the other process: the bus
 * that failed to publish tells the others to catch up from the database once it can.
 */
describe('Redis notification bus: a lost publish', () => {
  let redis: RedisProcess;
  let admin: Redis;
  let a: RedisNotificationBus;
  let b: RedisNotificationBus;
  let bSeen: Recorder;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  beforeEach(async () => {
    a = new RedisNotificationBus(redis.url);
    b = new RedisNotificationBus(redis.url);
    a.attach(new Recorder());
    bSeen = new Recorder();
    b.attach(bSeen);
    a.onModuleInit();
    b.onModuleInit();
    // Until both are connected and subscribed, publishing fails or nobody listens.
    await until(() => {
      a.publish(1, event(1));
      return bSeen.seen.includes('event 1 1');
    }, 'the first event on the other bus');
    await new Promise((resolve) => setTimeout(resolve, 100));
    bSeen.seen.length = 0;
  });

  afterEach(async () => {
    await Promise.all([a.onModuleDestroy(), b.onModuleDestroy()]);
  });

  const killPublishers = async () => {
    const clients = (await admin.client('LIST')) as string;
    const ids = clients
      .split('\n')
      .filter((line) => line.includes('name=microblog-publisher'))
      .map((line) => /id=(\d+)/.exec(line)?.[1]);
    for (const id of ids) {
      await admin.client('KILL', 'ID', String(id));
    }
    return ids.length;
  };

  it('should make the other process resync after a publish failed while its publisher was away', async () => {
    expect(await killPublishers()).toBe(2);
    a.publish(2, event(2)); // fails at once: the publisher is reconnecting
    await until(() => bSeen.seen.includes('resync'), 'a resync on the other bus');
    expect(bSeen.seen).not.toContain('event 2 2');
    a.publish(3, event(3));
    await until(() => bSeen.seen.includes('event 3 3'), 'events crossing again');
  });

  it('should not make anyone resync while publishing works', async () => {
    a.publish(4, event(4));
    a.publish(5, event(5));
    await until(() => bSeen.seen.includes('event 5 5'), 'the second event on the other bus');
    expect(bSeen.seen).toEqual(['event 4 4', 'event 5 5']);
  });

  it('should carry a live frame to the other process with its topics', async () => {
    a.publishToTopics(['explore', 'user:9'], '{"id":9}');
    await until(() => bSeen.seen.length > 0, 'the live frame on the other bus');
    expect(bSeen.seen).toEqual(['topics explore,user:9 {"id":9}']);
  });
});
