import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfigType } from '../config/config.type';
import { TransactionService } from '../database/transaction.service';
import { EventLogService } from './event-log.service';

/** How often each process prunes (with jitter, so processes don't prune in step). */
const PRUNE_INTERVAL_MS = 60_000;
/** Rows one short transaction deletes: pruning never holds locks for long. */
const PRUNE_BATCH = 500;

/**
 * Keeps the event log to its retention: events older than EVENT_RETENTION_DAYS, and a user's
 * events beyond the newest EVENT_RETENTION_PER_USER, are deleted in small batches in the
 * background. A stream resuming from a pruned position gets `reset` (EventLogService.replay).
 */
@Injectable()
export class EventPrunerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventPrunerService.name);
  private readonly retention: { days: number; perUser: number };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly log: EventLogService,
    private readonly transactions: TransactionService,
    config: ConfigService<AllConfigType, true>,
  ) {
    const app = config.getOrThrow('app', { infer: true });
    this.retention = { days: app.eventRetentionDays, perUser: app.eventRetentionPerUser };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.prune().catch((error: unknown) => this.logger.error(error)),
      PRUNE_INTERVAL_MS + Math.floor(Math.random() * 10_000),
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) {
      clearInterval(this.timer);
    }
  }

  /** One pass (a pass already running is joined, not doubled); returns the events deleted. */
  prune(now = Date.now()): Promise<number> {
    this.running ??= this.pass(now).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(now: number): Promise<number> {
    const before = now / 1000 - this.retention.days * 86_400;
    let deleted = await this.drain({ before });
    for (const over of await this.log.overCap(this.retention.perUser)) {
      deleted += await this.drain(over);
    }
    return deleted;
  }

  private async drain(filter: Parameters<EventLogService['deleteBatch']>[0]): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.transactions.run(() => this.log.deleteBatch(filter, PRUNE_BATCH));
      deleted += batch;
      if (batch < PRUNE_BATCH) {
        return deleted;
      }
    }
  }
}
