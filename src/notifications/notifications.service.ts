import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { Tx } from '../database/transaction.service';
import { Notification } from './notification.entity';
import { NotificationDto, NotificationName, NotificationPayloads } from './notification-types';

export function mapNotification(row: Notification): NotificationDto {
  return { name: row.name, data: row.payload, timestamp: row.timestamp };
}

@Injectable()
export class NotificationsService {
  constructor(
    @InjectRepository(Notification) private readonly notifications: Repository<Notification>,
  ) {}

  /**
   * Replaces the user's notification of this name with a new one, inside the caller's
   * transaction: the change that caused it and the notification commit or fail together.
   */
  async add<N extends NotificationName>(
    tx: Tx,
    userId: number,
    name: N,
    data: NotificationPayloads[N],
  ): Promise<Notification> {
    const repository = tx.manager.getRepository(Notification);
    await repository.delete({ userId, name });
    return repository.save(
      repository.create({
        userId,
        name,
        payloadJson: JSON.stringify(data),
        timestamp: Date.now() / 1000,
      }),
    );
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
