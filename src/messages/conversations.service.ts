import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, EntityManager, Repository } from 'typeorm';
import { PageRequest } from '../common/pagination';
import { TransactionService } from '../database/transaction.service';
import { NotificationsService } from '../notifications/notifications.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { Conversation, NEVER_READ } from './conversation.entity';
import { Message } from './message.entity';
import {
  conversationListQuery,
  conversationOf,
  notBlocked,
  notBlockedSql,
  rawDate,
  readMark,
  unreadTotal,
} from './read-marks';

/** One row of the conversation list. */
export interface ConversationSummary {
  peer: string;
  lastActivityAt: Date;
  lastMessage: { id: number; body: string; mine: boolean };
  unread: number;
}

interface SummaryRow {
  peer: string;
  activity: string | Date;
  messageId: number | string;
  body: string;
  senderId: number | string;
  unread: number | string;
}

export { rawDate } from './read-marks';

@Injectable()
export class ConversationsService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    private readonly users: UsersService,
    private readonly notifications: NotificationsService,
    private readonly transactions: TransactionService,
  ) {}

  /** The user's conversations, newest activity first (see conversationListQuery). */
  async list(user: User, page: PageRequest): Promise<[ConversationSummary[], number]> {
    const rows = await conversationListQuery(
      this.conversations.manager,
      user.id,
      page,
    ).getRawMany<SummaryRow>();
    const total = await this.count(user);
    return [
      rows.map((row) => ({
        peer: row.peer,
        lastActivityAt: rawDate(row.activity),
        lastMessage: {
          id: Number(row.messageId),
          body: row.body,
          mine: Number(row.senderId) === user.id,
        },
        unread: Number(row.unread),
      })),
      total,
    ];
  }

  private count(user: User): Promise<number> {
    const query = this.conversations
      .createQueryBuilder('c')
      .where('c.user_id = :userId AND c.last_message_id IS NOT NULL', { userId: user.id });
    return notBlocked(query, 'c').getCount();
  }

  /** The exchange with `peer`, both ways; page 1 is the newest, each page oldest first. */
  async thread(user: User, peer: User, page: PageRequest): Promise<[Message[], number]> {
    const [newestFirst, total] = await this.betweenQuery(user, peer)
      .orderBy('m.timestamp', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .skip(page.offset)
      .take(page.perPage)
      .getManyAndCount();
    return [newestFirst.reverse(), total];
  }

  /** Messages of the exchange after the one with id `afterId`, oldest first (live updates). */
  after(user: User, peer: User, afterId: number, limit: number): Promise<Message[]> {
    return this.betweenQuery(user, peer)
      .andWhere('m.id > :afterId', { afterId })
      .orderBy('m.timestamp', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .take(limit)
      .getMany();
  }

  private betweenQuery(user: User, peer: User) {
    return this.messages
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.sender', 'sender')
      .innerJoinAndSelect('m.recipient', 'recipient')
      .where(
        new Brackets((w) =>
          w
            .where('m.sender_id = :me AND m.recipient_id = :peer')
            .orWhere('m.sender_id = :peer AND m.recipient_id = :me'),
        ),
        { me: user.id, peer: peer.id },
      );
  }

  /** When `peer` last read the conversation with `user` (read receipts). */
  seenBy(peer: User, user: User): Promise<Date> {
    return readMark(this.conversations.manager, peer.id, user.id);
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
