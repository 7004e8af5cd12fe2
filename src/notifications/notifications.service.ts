import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, MoreThan, Repository } from 'typeorm';
import { NotificationBus, StreamEvent } from './bus/notification-bus';
import { PageRequest } from '../common/pagination';
import { TransactionService, Tx } from '../database/transaction.service';
import { UsersService } from '../users/users.service';
import { Notification } from './notification.entity';
import { NotificationDto, NotificationName, NotificationPayloads } from './notification-types';

export function mapNotification(row: Notification): NotificationDto {
  return { name: row.name, data: row.payload, timestamp: row.timestamp };
}

export function toStreamEvent(row: Notification): StreamEvent {
  return { id: row.id, name: row.name, json: JSON.stringify(mapNotification(row)) };
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
  async add<N extends NotificationName>(
    tx: Tx,
    userId: number,
    name: N,
    data: NotificationPayloads[N],
  ): Promise<Notification> {
    const repository = tx.manager.getRepository(Notification);
    await repository.delete({ userId, name: name as string });
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
   * What a stream sends before live events: the notifications stored after `afterId` (the
   * client's Last-Event-ID), or all of the user's current ones for a fresh stream.
   */
  async backlog(userId: number, afterId: number | null): Promise<StreamEvent[]> {
    const rows = await this.notifications.find({
      where: afterId === null ? { userId } : { userId, id: MoreThan(afterId) },
      order: { id: 'ASC' },
    });
    return rows.map(toStreamEvent);
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
   * Stores a notification for every user, a batch of users per transaction with set-based
   * statements (one DELETE, one multi-row INSERT, one SELECT of the new ids), yielding to the
   * event loop between batches so a large user base doesn't stall the process. The event's
   * JSON is serialised once for everyone; each batch goes out as soon as it has committed.
   */
  async addForAll(name: string, data: unknown, batchSize = 2000): Promise<number> {
    const payloadJson = JSON.stringify(data);
    let afterId = 0;
    let total = 0;
    for (;;) {
      const ids = await this.users.idsAfter(afterId, batchSize);
      if (ids.length === 0) {
        return total;
      }
      const timestamp = Date.now() / 1000;
      const json = JSON.stringify({ name, data, timestamp } satisfies NotificationDto);
      await this.transactions.run(async (tx) => {
        const repository = tx.manager.getRepository(Notification);
        await repository.delete({ name, userId: In(ids) });
        await repository
          .createQueryBuilder()
          .insert()
          .values(ids.map((userId) => ({ userId, name, payloadJson, timestamp })))
          .updateEntity(false)
          .execute();
        // The rows just written: same name, users, timestamp and payload (ids are not
        // guaranteed consecutive across dialects, so they are read back).
        const stored = await repository.find({
          select: { id: true, userId: true },
          where: { name, userId: In(ids), timestamp, payloadJson },
        });
        tx.afterCommit(() =>
          stored.forEach((row) => this.bus.publish(row.userId, { id: row.id, name, json })),
        );
      });
      total += ids.length;
      afterId = ids[ids.length - 1];
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The user's notifications newer than `since` (unix seconds), oldest first. */
  async since(userId: number, since: number): Promise<NotificationDto[]> {
    const rows = await this.notifications.find({
      where: { userId, timestamp: MoreThan(since) },
      order: { timestamp: 'ASC', id: 'ASC' },
    });
    return rows.map(mapNotification);
  }
}
