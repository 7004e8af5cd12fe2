import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface';
import Redis from 'ioredis';
import { RateLimitArgs } from '../../cluster/cluster-messages';
import { inClusterWorker, onPrimaryMessage, sendToPrimary } from '../../cluster/worker-channel';

/** How long a worker waits for the primary's count before counting in its own memory. */
const PRIMARY_REPLY_TIMEOUT_MS = 1_000;

/**
 * Where the rate-limit counters live: Redis with REDIS_URL, the cluster's primary in a worker
 * of `npm start`'s cluster, otherwise this process (undefined: the throttler's own memory).
 */
export function rateLimitStorage(redisUrl: string | null): ThrottlerStorage | undefined {
  if (redisUrl) {
    return new SharedRateLimitStorage(redisUrl);
  }
  return inClusterWorker() ? new ClusterRateLimitStorage() : undefined;
}

/**
 * Rate-limit counters in Redis, shared by every app process. While Redis can't be reached a
 * request is neither held back nor refused for it: the counters fall back to this process's
 * memory (per-process limits) until Redis answers again.
 */
export class SharedRateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(SharedRateLimitStorage.name);
  private readonly redis: Redis;
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new ThrottlerStorageService();
  private degraded = false;

  constructor(url: string) {
    this.redis = new Redis(url, {
      // Fail at once while Redis is away rather than queue the request behind it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 100, 5000),
      connectionName: 'microblog-rate-limits',
    });
    this.redis.on('error', () => undefined);
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Redis is back: rate limits are shared across processes again');
      }
      return record;
    } catch (error) {
      if (!this.degraded) {
        this.degraded = true;
        this.logger.warn(
          `Rate limits fall back to this process (Redis: ${(error as Error).message})`,
        );
      }
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.local.onApplicationShutdown();
    this.redis.disconnect();
  }
}

/**
 * Rate-limit counters kept by the cluster's primary for all of the machine's workers, so a
 * limit is one limit however connections are spread. Should the primary not answer (it is
 * stopping), the request is counted in this worker's memory rather than held or refused.
 */
export class ClusterRateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly local = new ThrottlerStorageService();
  private readonly waiting = new Map<number, (record: ThrottlerStorageRecord) => void>();
  private nextId = 0;
  private readonly stopListening = onPrimaryMessage((message) => {
    if (message.kind === 'microblog:rate-limit-reply') {
      this.waiting.get(message.id)?.(message.record);
    }
  });

  increment(...args: RateLimitArgs): Promise<ThrottlerStorageRecord> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const settle = (record: ThrottlerStorageRecord | Promise<ThrottlerStorageRecord>) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(record);
      };
      const countHere = () => settle(this.local.increment(...args));
      const timer = setTimeout(countHere, PRIMARY_REPLY_TIMEOUT_MS);
      this.waiting.set(id, settle);
      if (!sendToPrimary({ kind: 'microblog:rate-limit', id, args })) {
        countHere();
      }
    });
  }

  onApplicationShutdown(): void {
    this.stopListening();
    this.local.onApplicationShutdown();
  }
}
