import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, MoreThan, Repository } from 'typeorm';
import { NotificationBus, StreamEvent } from './bus/notification-bus';
import { PageRequest } from '../common/pagination';
import { TransactionService, Tx } from '../database/transaction.service';
import { UsersService } from '../users/users.service';
import { Notification } from './notification.entity';
import { NotificationDto, NotificationName, NotificationPayloads } from './notification-types';

export function mapNotification(row: Notification): NotificationDto {
  return { name: row.name, data: row.payload, timestamp: row.timestamp };
}

interface BacklogRow {
  id: number;
  name: string;
  payload_json: string;
  timestamp: number;
}

/**
 * Rows in id order, keeping only the newest of each name: a user's own notification and one
 * for everyone can both be stored under a name, and the later one is the current state.
 */
function newestPerName<Row extends { id: number; name: string }>(rows: Row[]): Row[] {
  const newest = new Map(rows.map((row) => [row.name, row.id]));
  return rows.filter((row) => newest.get(row.name) === row.id);
}

/** A stored notification as the stream sends it, its JSON built once for every recipient. */
function streamEvent(
  id: number,
  name: string,
  payloadJson: string,
  timestamp: number,
): StreamEvent {
  const dto: NotificationDto = { name, data: JSON.parse(payloadJson) as unknown, timestamp };
  return { id, name, json: JSON.stringify(dto) };
}

export function toStreamEvent(row: Notification): StreamEvent {
  return streamEvent(row.id, row.name, row.payloadJson, row.timestamp);
}

@Injectable()
export class NotificationsService {
  constructor(
    @InjectRepository(Notification) private readonly notifications: Repository<Notification>,
    private readonly bus: NotificationBus,
    private readonly users: UsersService,
    private readonly transactions: TransactionService,
  ) {}

  /**
   * Replaces the user's notification of this name with a new one, inside the caller's
   * transaction: the change that caused it and the notification commit or fail together.
   * Open streams get it once that transaction has committed, never for a rolled-back one.
   */
  add<N extends NotificationName>(
    tx: Tx,
    userId: number,
    name: N,
    data: NotificationPayloads[N],
  ): Promise<Notification> {
    return this.store(tx, userId, name, data);
  }

  /** Like add, for the free-form names an admin sends through the API. */
  addCustom(tx: Tx, userId: number, name: string, data: unknown): Promise<Notification> {
    return this.store(tx, userId, name, data);
  }

  private async store(tx: Tx, userId: number, name: string, data: unknown) {
    const repository = tx.manager.getRepository(Notification);
    await repository.delete({ userId, name });
    const row = await repository.save(
      repository.create({
        userId,
        name,
        payloadJson: JSON.stringify(data),
        timestamp: Date.now() / 1000,
      }),
    );
    tx.afterCommit(() => this.bus.publish(userId, toStreamEvent(row)));
    return row;
  }

  /**
   * What a stream sends before live events: the notifications (own and for everyone) stored
   * after `afterId` (the client's Last-Event-ID), or all current ones for a fresh stream. A
   * plain SELECT on the user's index rather than a find: it runs on every connect.
   */
  async backlog(userId: number, afterId: number | null): Promise<StreamEvent[]> {
    const rows = await this.notifications.query<BacklogRow[]>(
      `SELECT id, name, payload_json, timestamp FROM ${this.notifications.metadata.tableName}
       WHERE (user_id = ? OR user_id IS NULL) AND id > ? ORDER BY id`,
      [userId, afterId ?? 0],
    );
    return newestPerName(rows).map((row) =>
      streamEvent(row.id, row.name, row.payload_json, row.timestamp),
    );
  }

  /** Notifications matching the filter, newest first (admin). */
  list(filter: { userId?: number; name?: string }, page: PageRequest) {
    return this.notifications.findAndCount({
      where: {
        ...(filter.userId ? { userId: filter.userId } : {}),
        ...(filter.name ? { name: filter.name } : {}),
      },
      order: { id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
  }

  count(): Promise<number> {
    return this.notifications.count();
  }

  /**
   * Notifies every user with one row (userId null) that replaces everyone's notification of
   * this name, and one event that every stream gets as the same bytes. Returns how many users
   * there are. A user's own notification of the same name stored later wins over it.
   */
  async addForAll(name: string, data: unknown): Promise<number> {
    await this.transactions.run(async (tx) => {
      const repository = tx.manager.getRepository(Notification);
      await repository.delete({ name });
      const row = await repository.save(
        repository.create({
          userId: null,
          name,
          payloadJson: JSON.stringify(data),
          timestamp: Date.now() / 1000,
        }),
      );
      tx.afterCommit(() => this.bus.publishToAll(toStreamEvent(row)));
    });
    return this.users.count();
  }

  /**
   * The user's notifications (own and for everyone) newer than `since` (unix seconds), oldest
   * first.
   */
  async since(userId: number, since: number): Promise<NotificationDto[]> {
    const rows = await this.notifications.find({
      where: [
        { userId, timestamp: MoreThan(since) },
        { userId: IsNull(), timestamp: MoreThan(since) },
      ],
      order: { id: 'ASC' },
    });
    return newestPerName(rows).map(mapNotification);
  }
}
