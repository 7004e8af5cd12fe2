import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { PageRequest } from '../common/pagination';
import { TransactionService } from '../database/transaction.service';
import { NotificationsService } from '../notifications/notifications.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Message } from './message.entity';

@Injectable()
export class MessagesService {
  constructor(
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly users: UsersService,
    private readonly notifications: NotificationsService,
    private readonly transactions: TransactionService,
  ) {}

  /** The user `sender` may write to: 404 for an unknown name, 400 for themselves. */
  async findRecipient(sender: User, username: string): Promise<User> {
    const recipient = await this.users.findByUsername(username);
    if (!recipient) {
      throw new NotFoundException('errors.user_not_found');
    }
    if (recipient.id === sender.id) {
      throw new BadRequestException('messages.no_self');
    }
    return recipient;
  }

  /**
   * Stores the message and sets the recipient's unread_message_count notification in one
   * transaction. The recipient's row is locked, so concurrent sends to one user count one
   * after the other and the last count written is the true one; the sender's row too, both
   * in ascending id order: inserting the message takes shared locks on both rows (the
   * foreign keys), so with only the recipient's locked, A->B and B->A at once deadlock.
   */
  send(sender: User, recipient: User, body: string): Promise<Message> {
    return this.transactions.run(async (tx) => {
      const [locked] = await this.users.lockAllForUpdate(tx.manager, [recipient.id, sender.id]);
      // Never at or before the last read time, or the message would count as already read.
      const lastRead = locked.lastMessageReadTime?.getTime() ?? 0;
      const timestamp = new Date(Math.max(Date.now(), lastRead + 1));
      const message = await tx.manager.getRepository(Message).save({
        senderId: sender.id,
        recipientId: recipient.id,
        body,
        timestamp,
      });
      const unread = await this.countUnread(tx.manager, locked);
      await this.notifications.add(tx, recipient.id, 'unread_message_count', unread);
      return message;
    });
  }

  /** Opening the inbox: everything received so far is read, and the badge drops to 0. */
  markAllRead(user: User): Promise<void> {
    return this.transactions.run(async (tx) => {
      await this.users.lockForUpdate(tx.manager, user.id);
      const newest = await tx.manager
        .getRepository(Message)
        .createQueryBuilder('m')
        .select('MAX(m.timestamp)', 'newest')
        .where('m.recipient_id = :id', { id: user.id })
        .getRawOne<{ newest: string | Date | null }>();
      // A message stamped slightly ahead (clock skew between processes) is read too.
      const newestMs = newest?.newest ? this.toDate(newest.newest).getTime() : 0;
      const readAt = new Date(Math.max(Date.now(), newestMs));
      await this.users.setLastMessageReadTime(tx.manager, user, readAt);
      await this.notifications.add(tx, user.id, 'unread_message_count', 0);
    });
  }

  /**
   * Deletes a message (moderation). If it was unread, the recipient's count is recomputed and
   * pushed, in the same transaction, under the same row lock as a send.
   */
  remove(id: number): Promise<void> {
    return this.transactions.run(async (tx) => {
      const repository = tx.manager.getRepository(Message);
      const message = await repository.findOneBy({ id });
      if (!message) {
        throw new NotFoundException('errors.message_not_found');
      }
      const recipient = await this.users.lockForUpdate(tx.manager, message.recipientId);
      await repository.delete({ id });
      const unread = await this.countUnread(tx.manager, recipient);
      await this.notifications.add(tx, recipient.id, 'unread_message_count', unread);
    });
  }

  /** Messages matching the filter, newest first (admin). */
  list(filter: { senderId?: number; recipientId?: number }, page: PageRequest) {
    return this.messages.findAndCount({
      where: {
        ...(filter.senderId ? { senderId: filter.senderId } : {}),
        ...(filter.recipientId ? { recipientId: filter.recipientId } : {}),
      },
      relations: { sender: true, recipient: true },
      order: { timestamp: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
  }

  count(): Promise<number> {
    return this.messages.count();
  }

  /** Unread counts of several users in one grouped query. */
  async unreadCounts(users: User[]): Promise<Map<number, number>> {
    const counts = new Map(users.map((u) => [u.id, 0]));
    if (users.length === 0) {
      return counts;
    }
    const rows = await this.messages
      .createQueryBuilder('m')
      .innerJoin(User, 'u', 'u.id = m.recipient_id')
      .select('m.recipient_id', 'userId')
      .addSelect('COUNT(*)', 'unread')
      .where('m.recipient_id IN (:...ids)', { ids: users.map((u) => u.id) })
      .andWhere('(u.last_message_read_time IS NULL OR m.timestamp > u.last_message_read_time)')
      .groupBy('m.recipient_id')
      .getRawMany<{ userId: number | string; unread: number | string }>();
    rows.forEach((row) => counts.set(Number(row.userId), Number(row.unread)));
    return counts;
  }

  unreadCount(user: User): Promise<number> {
    return this.countUnread(this.messages.manager, user);
  }

  /** Received messages, newest first. */
  inbox(user: User, page: PageRequest): Promise<[Message[], number]> {
    return this.messages.findAndCount({
      where: { recipientId: user.id },
      relations: { sender: true },
      order: { timestamp: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
  }

  private countUnread(manager: EntityManager, user: User): Promise<number> {
    const query = manager
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.recipient_id = :id', { id: user.id });
    if (user.lastMessageReadTime) {
      query.andWhere('m.timestamp > :lastRead', { lastRead: user.lastMessageReadTime });
    }
    return query.getCount();
  }

  /** MAX() over a datetime comes back as a Date from MySQL, as a UTC string from SQLite. */
  private toDate(value: string | Date): Date {
    return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
  }
}
