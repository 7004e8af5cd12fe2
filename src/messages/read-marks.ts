import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { PageRequest } from '../common/pagination';
import { User } from '../users/user.entity';
import { Block } from './block.entity';
import { Conversation, NEVER_READ } from './conversation.entity';
import { Message } from './message.entity';

/**
 * The queries behind unread counts, shared by every change that moves them (send, read,
 * delete, block). A message is unread when stamped after its conversation's read mark; a
 * blocked peer's messages never count.
 */

/** Leaves out the conversations whose peer `alias`.user_id blocked. */
export function notBlocked<T extends object>(
  query: SelectQueryBuilder<T>,
  alias: string,
): SelectQueryBuilder<T> {
  const blocked = query
    .subQuery()
    .select('1')
    .from(Block, 'b')
    .where(`b.blocker_id = ${alias}.user_id AND b.blocked_id = ${alias}.peer_id`)
    .getQuery();
  return query.andWhere(`NOT EXISTS ${blocked}`);
}

/**
 * The badge: unread messages over all of the user's conversations. The user's conversation
 * rows (primary key range), then for each an index range of (recipient, sender, timestamp)
 * after its read mark: the cost grows with what is unread, not with the history.
 */
export function unreadTotalQuery(manager: EntityManager, userId: number) {
  const query = manager
    .getRepository(Conversation)
    .createQueryBuilder('c')
    .innerJoin(
      Message,
      'm',
      'm.recipient_id = c.user_id AND m.sender_id = c.peer_id AND m.timestamp > c.last_read_at',
    )
    .select('COUNT(*)', 'unread')
    .where('c.user_id = :userId', { userId });
  return notBlocked(query, 'c');
}

export async function unreadTotal(manager: EntityManager, userId: number): Promise<number> {
  const row = await unreadTotalQuery(manager, userId).getRawOne<{ unread: number | string }>();
  return Number(row?.unread ?? 0);
}

/**
 * One page of the user's conversations, newest activity first, in one query: the rows of one
 * index range (user, activity), each with its peer, its newest message and its unread count
 * (an index range of (recipient, sender, timestamp) after the read mark), read in index
 * order up to the page's end.
 */
export function conversationListQuery(manager: EntityManager, userId: number, page: PageRequest) {
  const unread = manager
    .createQueryBuilder()
    .subQuery()
    .select('COUNT(*)')
    .from(Message, 'um')
    .where('um.recipient_id = c.user_id AND um.sender_id = c.peer_id')
    .andWhere('um.timestamp > c.last_read_at')
    .getQuery();
  const query = manager
    .getRepository(Conversation)
    .createQueryBuilder('c')
    .innerJoin(User, 'p', 'p.id = c.peer_id')
    .innerJoin(Message, 'm', 'm.id = c.last_message_id')
    .select('p.username', 'peer')
    .addSelect('c.last_activity_at', 'activity')
    .addSelect('m.id', 'messageId')
    .addSelect('m.body', 'body')
    .addSelect('m.sender_id', 'senderId')
    .addSelect(unread, 'unread')
    .where('c.user_id = :userId', { userId });
  return notBlocked(query, 'c')
    .orderBy('c.last_activity_at', 'DESC')
    .addOrderBy('c.peer_id', 'DESC')
    .offset(page.offset)
    .limit(page.perPage);
}

/** Unread messages from one peer (blocked or not). */
export async function unreadFrom(
  manager: EntityManager,
  userId: number,
  peerId: number,
): Promise<number> {
  return manager
    .getRepository(Conversation)
    .createQueryBuilder('c')
    .innerJoin(
      Message,
      'm',
      'm.recipient_id = c.user_id AND m.sender_id = c.peer_id AND m.timestamp > c.last_read_at',
    )
    .where('c.user_id = :userId AND c.peer_id = :peerId', { userId, peerId })
    .getCount();
}

/** The read mark of `userId`'s side of the conversation, NEVER_READ where there is none. */
export async function readMark(
  manager: EntityManager,
  userId: number,
  peerId: number,
): Promise<Date> {
  const row = await manager.getRepository(Conversation).findOneBy({ userId, peerId });
  return row?.lastReadAt ?? NEVER_READ;
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
      {
        a,
        b,
      },
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
      await repository.insert({ userId, peerId, lastReadAt: NEVER_READ, ...latest });
    }
  }
}
