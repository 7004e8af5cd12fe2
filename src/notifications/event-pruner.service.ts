import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, Repository } from 'typeorm';
import { AllConfigType } from '../config/config.type';
import { TransactionService } from '../database/transaction.service';
import { Event } from './event.entity';

/** How often each process prunes (with jitter, so processes don't prune in step). */
const PRUNE_INTERVAL_MS = 60_000;
/** Rows one short transaction deletes: pruning never holds locks for long. */
const PRUNE_BATCH = 500;

/** Which events one batch deletes: those written before a moment, or a user's oldest. */
type PruneFilter = { before: number } | { userId: number; maxSeq: number };

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
    @InjectRepository(Event) private readonly events: Repository<Event>,
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
    for (const over of await this.overCap(this.retention.perUser)) {
      deleted += await this.drain(over);
    }
    return deleted;
  }

  private async drain(filter: PruneFilter): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.transactions.run((tx) => this.deleteBatch(tx.manager, filter));
      deleted += batch;
      if (batch < PRUNE_BATCH) {
        return deleted;
      }
    }
  }

  /** Deletes up to PRUNE_BATCH of the oldest events the filter names; returns how many went. */
  private async deleteBatch(manager: EntityManager, filter: PruneFilter): Promise<number> {
    const [where, params] =
      'before' in filter
        ? ['timestamp < ?', [filter.before]]
        : ['user_id = ? AND seq <= ?', [filter.userId, filter.maxSeq]];
    const rows = await manager.query<{ id: number }[]>(
      `SELECT id FROM events WHERE ${where} ORDER BY id LIMIT ${PRUNE_BATCH}`,
      params,
    );
    if (rows.length) {
      await manager.getRepository(Event).delete({ id: In(rows.map((row) => Number(row.id))) });
    }
    return rows.length;
  }

  /** Users whose log holds more than `cap` events, and the newest number each may drop. */
  private async overCap(cap: number): Promise<{ userId: number; maxSeq: number }[]> {
    const rows = await this.events.query<{ id: number; event_seq: number }[]>(
      `SELECT u.id, u.event_seq FROM users u WHERE u.event_seq > ?
       AND EXISTS (SELECT 1 FROM events e WHERE e.user_id = u.id AND e.seq <= u.event_seq - ?)`,
      [cap, cap],
    );
    return rows.map((row) => ({ userId: Number(row.id), maxSeq: Number(row.event_seq) - cap }));
  }
}
