import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { InProcessNotificationBus } from './in-process-notification-bus';
import { BusEnvelope, deliverEnvelope, StreamEvent } from './notification-bus';

/** What travels over the channel: what a process sends, and which process sent it. */
type Envelope = { origin: string } & BusEnvelope;

const CHANNEL = 'microblog:notifications';

/** Reconnection back-off: 100 ms, 200 ms, ... up to 5 s between attempts, for ever. */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 5000);
}

/**
 * Fan-out across app processes over Redis pub/sub. Each process keeps one subscriber
 * connection (not one per client) on one channel and routes events to its own streams by
 * user id. Events for this process's streams are delivered directly, so they never wait for
 * Redis. Redis is only the fan-out path: the database is the source of truth, and when the
 * subscriber comes back after losing Redis, every local stream catches up from it (resync).
 */
export class RedisNotificationBus
  extends InProcessNotificationBus
  implements OnModuleInit, OnModuleDestroy
{
  private readonly logger = new Logger(RedisNotificationBus.name);
  private readonly origin = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private connectedOnce = false;
  /** Set while the subscriber is away (or never connected): events may have been missed. */
  private lost = false;
  private publishFailures = 0;
  /** Set while a publish may have been lost and the other processes have not been told. */
  private owesResync = false;

  constructor(url: string) {
    super();
    const options: RedisOptions = {
      lazyConnect: true,
      retryStrategy: reconnectDelay,
      maxRetriesPerRequest: 1,
      // While Redis is away, publishing fails at once instead of queueing without bound:
      // the streams are caught up from the database when it returns.
      enableOfflineQueue: false,
    };
    this.publisher = new Redis(url, { ...options, connectionName: 'microblog-publisher' });
    this.subscriber = new Redis(url, {
      ...options,
      autoResubscribe: false,
      connectionName: 'microblog-subscriber',
    });
  }

  onModuleInit(): void {
    this.subscriber.on('message', (_channel: string, raw: string) => this.receive(raw));
    this.subscriber.on('ready', () => void this.onReady());
    this.subscriber.on('close', () => {
      if (!this.lost) {
        this.lost = true;
        this.logger.warn('Lost the Redis connection: reconnecting; local streams stay open');
      }
    });
    // Errors are followed by reconnection attempts; 'close' above reports the outage once.
    this.subscriber.on('error', () => undefined);
    this.publisher.on('error', () => undefined);
    this.publisher.on('ready', () => this.announceResync());
    for (const connection of [this.subscriber, this.publisher]) {
      connection.connect().catch((error: Error) => {
        this.logger.error(`Redis is not reachable yet (${error.message}); retrying`);
      });
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(
      [this.subscriber, this.publisher].map((c) => c.quit().catch(() => c.disconnect())),
    );
  }

  override publish(userId: number, event: StreamEvent): void {
    super.publish(userId, event);
    this.send({ origin: this.origin, kind: 'event', userId, event });
  }

  override publishToAll(event: StreamEvent): void {
    super.publishToAll(event);
    this.send({ origin: this.origin, kind: 'event', userId: null, event });
  }

  override publishToTopics(topics: string[], json: string): void {
    super.publishToTopics(topics, json);
    this.send({ origin: this.origin, kind: 'topics', topics, json });
  }

  private send(envelope: Envelope): void {
    this.publisher.publish(CHANNEL, JSON.stringify(envelope)).then(
      () => (this.publishFailures = 0),
      (error: Error) => {
        if (this.publishFailures++ === 0) {
          this.logger.warn(
            `Publishing to Redis failed (${error.message}); other processes will resync`,
          );
        }
        this.owesResync = true;
        this.announceResync();
      },
    );
  }

  /**
   * Tells the other processes to catch their streams up from the database, once the publisher
   * can reach Redis again (now, or on its next 'ready').
   */
  private announceResync(): void {
    if (!this.owesResync || this.publisher.status !== 'ready') {
      return;
    }
    this.owesResync = false;
    const envelope: Envelope = { origin: this.origin, kind: 'resync' };
    this.publisher.publish(CHANNEL, JSON.stringify(envelope)).catch(() => {
      this.owesResync = true;
    });
  }

  private async onReady(): Promise<void> {
    await this.subscriber.subscribe(CHANNEL);
    if (!this.connectedOnce) {
      this.logger.log('Connected to Redis: notifications fan out across processes');
    }
    if (this.lost) {
      this.logger.log('Redis is back: catching up the local streams from the database');
      this.receiver?.resync();
    }
    this.connectedOnce = true;
    this.lost = false;
  }

  private receive(raw: string): void {
    try {
      const envelope = JSON.parse(raw) as Envelope;
      if (envelope.origin === this.origin) {
        return;
      }
      deliverEnvelope(this.receiver, envelope);
    } catch {
      this.logger.warn('Ignored a malformed message on the notifications channel');
    }
  }
}
