import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { TransactionService, Tx } from '../database/transaction.service';
import { Message } from '../messages/message.entity';
import { NotificationsService } from '../notifications/notifications.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Conversation, NEVER_READ } from './conversation.entity';
import { conversationOf, notBlocked, notBlockedSql, rawDate, unreadTotal } from './read-marks';

/** What a user has read: the read marks pages move, and the unread counts they give. */
@Injectable()
export class ReadMarksService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    private readonly users: UsersService,
    private readonly notifications: NotificationsService,
    private readonly transactions: TransactionService,
  ) {}

  /** The badge: the user's unread messages, blocked users' left out. */
  unreadCount(user: User): Promise<number> {
    return unreadTotal(this.conversations.manager, user.id);
  }

  /** Unread counts of several users in one grouped query (admin). */
  async unreadCounts(users: User[]): Promise<Map<number, number>> {
    const counts = new Map(users.map((u) => [u.id, 0]));
    if (users.length === 0) {
      return counts;
    }
    const query = this.conversations
      .createQueryBuilder('c')
      .select('c.user_id', 'userId')
      .addSelect('SUM(c.unread_count)', 'unread')
      .where('c.user_id IN (:...ids)', { ids: users.map((u) => u.id) });
    const rows = await notBlocked(query, 'c')
      .groupBy('c.user_id')
      .getRawMany<{ userId: number | string; unread: number | string }>();
    rows.forEach((row) => counts.set(Number(row.userId), Number(row.unread)));
    return counts;
  }

  /**
   * Records `user`'s unread count inside the transaction that changed it without moving a
   * read mark (a block or an unblock: see ConversationsModule), which holds `user`'s row.
   */
  async pushUnreadCount(tx: Tx, user: User): Promise<void> {
    const unread = await unreadTotal(tx.manager, user.id);
    await this.notifications.record(tx, [user], [
      { userId: user.id, name: 'unread_message_count', data: unread },
    ]);
  }

  /**
   * Opening a conversation: what `peer` sent so far is read, the badge drops by exactly its
   * count, and `peer` learns it was seen. Nothing is written when nothing was unread.
   */
  markRead(user: User, peer: User): Promise<void> {
    return this.transactions.run(async (tx) => {
      // The peer's row too: the "Seen" receipt is an event in the peer's log.
      const locked = await this.users.lockAllForUpdate(tx.manager, [user.id, peer.id]);
      if (!(await conversationOf(tx.manager, user.id, peer.id))?.unreadCount) {
        return;
      }
      const readAt = new Date(
        Math.max(Date.now(), (await this.newestFrom(tx.manager, user, peer)).getTime()),
      );
      await tx.manager
        .getRepository(Conversation)
        .update({ userId: user.id, peerId: peer.id }, { lastReadAt: readAt, unreadCount: 0 });
      await this.notifications.record(tx, locked, [
        {
          userId: user.id,
          name: 'unread_message_count',
          data: await unreadTotal(tx.manager, user.id),
        },
        {
          userId: peer.id,
          name: 'conversation_seen',
          data: { peer: user.username, at: readAt.getTime() },
        },
      ]);
    });
  }

  /**
   * Opening the inbox: everything it shows is read, the badge drops to 0. Returns the
   * read marks from before, by peer id, so the page can show which messages were new.
   */
  markAllRead(user: User): Promise<Map<number, Date>> {
    return this.transactions.run(async (tx) => {
      const locked = await this.users.lockAllForUpdate(tx.manager, [user.id]);
      const repository = tx.manager.getRepository(Conversation);
      const before = await repository.find({
        select: { peerId: true, lastReadAt: true },
        where: { userId: user.id },
      });
      const newest = await tx.manager
        .getRepository(Message)
        .createQueryBuilder('m')
        .select('MAX(m.timestamp)', 'newest')
        .where('m.recipient_id = :id', { id: user.id })
        .getRawOne<{ newest: string | Date | null }>();
      // A message stamped slightly ahead (clock skew between processes) is read too.
      const newestMs = newest?.newest ? rawDate(newest.newest).getTime() : 0;
      const readAt = new Date(Math.max(Date.now(), newestMs));
      // Blocked users' messages are hidden, so not read: they count again after an unblock.
      await repository
        .createQueryBuilder()
        .update()
        .set({ lastReadAt: readAt, unreadCount: 0 })
        .where('user_id = :id', { id: user.id })
        .andWhere(notBlockedSql('conversations'))
        .execute();
      await this.notifications.record(tx, locked, [
        { userId: user.id, name: 'unread_message_count', data: 0 },
      ]);
      return new Map(before.map((row) => [row.peerId, row.lastReadAt]));
    });
  }

  private async newestFrom(manager: EntityManager, user: User, peer: User) {
    const row = await manager
      .getRepository(Message)
      .createQueryBuilder('m')
      .select('MAX(m.timestamp)', 'newest')
      .where('m.recipient_id = :me AND m.sender_id = :peer', { me: user.id, peer: peer.id })
      .getRawOne<{ newest: string | Date | null }>();
    return row?.newest ? rawDate(row.newest) : NEVER_READ;
  }
}
