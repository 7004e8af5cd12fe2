import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { PageRequest } from '../common/pagination';
import { Message } from '../messages/message.entity';
import { User } from '../users/user.entity';
import { Conversation, NEVER_READ } from './conversation.entity';

/**
 * The statements behind unread counts, shared by every change that moves them (send, read,
 * delete, block). A message is unread while stamped after its conversation's read mark; each
 * conversation row keeps that number (unread_count), changed only under the user's row lock,
 * so the badge and the list read it instead of counting a history. A blocked peer's
 * conversation never counts.
 */

/** Leaves out the conversations (rows of `alias`) whose user blocked the peer. */
export function notBlockedSql(alias: string): string {
  return `NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ${alias}.user_id AND b.blocked_id = ${alias}.peer_id)`;
}

export function notBlocked<T extends object>(
  query: SelectQueryBuilder<T>,
  alias: string,
): SelectQueryBuilder<T> {
  return query.andWhere(notBlockedSql(alias));
}

/** The badge: the sum over the user's conversations (a primary key range), blocked left out. */
export function unreadTotalQuery(manager: EntityManager, userId: number) {
  const query = manager
    .getRepository(Conversation)
    .createQueryBuilder('c')
    .select('COALESCE(SUM(c.unread_count), 0)', 'unread')
    .where('c.user_id = :userId', { userId });
  return notBlocked(query, 'c');
}

export async function unreadTotal(manager: EntityManager, userId: number): Promise<number> {
  const row = await unreadTotalQuery(manager, userId).getRawOne<{ unread: number | string }>();
  return Number(row?.unread ?? 0);
}

/**
 * One page of the user's conversations, newest activity first, in one statement: the rows of
 * one index range (user, activity, peer) read in index order up to the page's end, each
 * joined to its peer and its newest message by primary key.
 */
export function conversationListQuery(manager: EntityManager, userId: number, page: PageRequest) {
  const query = manager
    .getRepository(Conversation)
    .createQueryBuilder('c')
    .innerJoin(User, 'p', 'p.id = c.peer_id')
    .innerJoin(Message, 'm', 'm.id = c.last_message_id')
    .select('p.username', 'peer')
    .addSelect('c.last_activity_at', 'activity')
    .addSelect('c.unread_count', 'unread')
    .addSelect('m.id', 'messageId')
    .addSelect('m.body', 'body')
    .addSelect('m.sender_id', 'senderId')
    .where('c.user_id = :userId', { userId });
  return notBlocked(query, 'c')
    .orderBy('c.last_activity_at', 'DESC')
    .addOrderBy('c.peer_id', 'DESC')
    .offset(page.offset)
    .limit(page.perPage);
}

/** The user's side of the conversation with `peerId`, if they ever exchanged a message. */
export function conversationOf(
  manager: EntityManager,
  userId: number,
  peerId: number,
): Promise<Conversation | null> {
  return manager.getRepository(Conversation).findOneBy({ userId, peerId });
}

/** The read mark of `userId`'s side of the conversation, NEVER_READ where there is none. */
export async function readMark(
  manager: EntityManager,
  userId: number,
  peerId: number,
): Promise<Date> {
  return (await conversationOf(manager, userId, peerId))?.lastReadAt ?? NEVER_READ;
}

/**
 * Sets both sides' newest message after one was sent or deleted, creating the rows of a new
 * conversation. The caller holds both users' row locks.
 */
export async function refreshConversation(
  manager: EntityManager,
  a: number,
  b: number,
): Promise<void> {
  const newest = await manager
    .getRepository(Message)
    .createQueryBuilder('m')
    .where(
      '(m.sender_id = :a AND m.recipient_id = :b) OR (m.sender_id = :b AND m.recipient_id = :a)',
      { a, b },
    )
    .orderBy('m.timestamp', 'DESC')
    .addOrderBy('m.id', 'DESC')
    .getOne();
  const repository = manager.getRepository(Conversation);
  for (const [userId, peerId] of [
    [a, b],
    [b, a],
  ]) {
    const row = await repository.findOneBy({ userId, peerId });
    const latest = {
      lastMessageId: newest?.id ?? null,
      lastActivityAt: newest?.timestamp ?? row?.lastActivityAt ?? new Date(),
    };
    if (row) {
      await repository.update({ userId, peerId }, latest);
    } else {
      await repository.insert({
        userId,
        peerId,
        lastReadAt: NEVER_READ,
        unreadCount: 0,
        ...latest,
      });
    }
  }
}

/** A datetime from a raw query: a Date from MySQL, a UTC string from SQLite. */
export function rawDate(value: string | Date): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

/** What a send decides on, read in one statement once both users' rows are locked. */
export interface SendState {
  recipientBlocksSender: boolean;
  senderBlocksRecipient: boolean;
  /** The recipient's read mark of the conversation; null when there is none yet. */
  readMark: Date | null;
  /** The recipient's unread messages (the badge) before this one. */
  recipientUnread: number;
}

export async function sendState(
  manager: EntityManager,
  senderId: number,
  recipientId: number,
): Promise<SendState> {
  const [row] = await manager.query<Record<string, unknown>[]>(
    `SELECT
       (SELECT COUNT(*) FROM blocks WHERE blocker_id = ? AND blocked_id = ?) AS recipient_blocks,
       (SELECT COUNT(*) FROM blocks WHERE blocker_id = ? AND blocked_id = ?) AS sender_blocks,
       (SELECT last_read_at FROM conversations WHERE user_id = ? AND peer_id = ?) AS read_mark,
       (SELECT COALESCE(SUM(c.unread_count), 0) FROM conversations c
        WHERE c.user_id = ? AND ${notBlockedSql('c')}) AS unread`,
    [recipientId, senderId, senderId, recipientId, recipientId, senderId, recipientId],
  );
  return {
    recipientBlocksSender: Number(row.recipient_blocks) > 0,
    senderBlocksRecipient: Number(row.sender_blocks) > 0,
    readMark: row.read_mark ? rawDate(row.read_mark as string | Date) : null,
    recipientUnread: Number(row.unread),
  };
}

/**
 * Both sides of the conversation move to a message just sent (the newest: no history to
 * re-read), the recipient's side with one more unread; a first message creates both rows.
 * The caller holds both users' row locks.
 */
export async function advanceConversation(
  manager: EntityManager,
  message: Pick<Message, 'id' | 'senderId' | 'recipientId' | 'timestamp'>,
  exists: boolean,
): Promise<void> {
  const { id, senderId, recipientId, timestamp } = message;
  const latest = { lastMessageId: id, lastActivityAt: timestamp };
  if (!exists) {
    // No read-back of the rows (TypeORM would SELECT the defaults back on SQLite).
    await manager
      .createQueryBuilder()
      .insert()
      .into(Conversation)
      .values([
        {
          userId: senderId,
          peerId: recipientId,
          lastReadAt: NEVER_READ,
          unreadCount: 0,
          ...latest,
        },
        {
          userId: recipientId,
          peerId: senderId,
          lastReadAt: NEVER_READ,
          unreadCount: 1,
          ...latest,
        },
      ])
      .updateEntity(false)
      .execute();
    return;
  }
  await manager
    .createQueryBuilder()
    .update(Conversation)
    .set({
      ...latest,
      unreadCount: () =>
        `unread_count + (CASE WHEN user_id = ${Number(recipientId)} THEN 1 ELSE 0 END)`,
    })
    .where('(user_id = :a AND peer_id = :b) OR (user_id = :b AND peer_id = :a)', {
      a: senderId,
      b: recipientId,
    })
    .execute();
}

/**
 * Counts the conversation's unread messages afresh (after a delete): one index range of
 * (recipient, sender, timestamp) after the read mark.
 */
export async function recountUnread(
  manager: EntityManager,
  userId: number,
  peerId: number,
): Promise<void> {
  const row = await conversationOf(manager, userId, peerId);
  if (!row) {
    return;
  }
  const unread = await manager
    .getRepository(Message)
    .createQueryBuilder('m')
    .where('m.recipient_id = :userId AND m.sender_id = :peerId', { userId, peerId })
    .andWhere('m.timestamp > :mark', { mark: row.lastReadAt })
    .getCount();
  await manager.getRepository(Conversation).update({ userId, peerId }, { unreadCount: unread });
}
