import { Brackets, EntityManager, SelectQueryBuilder } from 'typeorm';
import { Conversation } from '../conversations/conversation.entity';
import { notBlockedSql, rawDate } from '../conversations/read-marks';
import { Follow } from '../follows/follow.entity';
import { Message } from '../messages/message.entity';
import { NotificationGroup, NotificationKind } from '../notifications/notification-group.entity';
import { Post } from '../posts/post.entity';
import { User } from '../users/user.entity';
import {
  DigestClock,
  DigestItems,
  DigestKind,
  DigestWindow,
  emptySection,
  messagesBySender,
  SETTLE_MS,
  SHOWN,
} from './digest-content';

/**
 * The reads behind digests. They span the tables of several features (messages and read marks,
 * follows, the notification center, posts), each owned elsewhere; they run here, through the
 * caller's transaction, because a digest decides on all of them at once under the user's lock.
 * Each item query is one index range: messages (recipient, sender, timestamp) per conversation,
 * follows (followed, created), notification_groups (user, latest_at).
 */

const EPOCH = new Date(0);

/** A mention's author whom the user blocked is left out, as everywhere else. */
const MENTION_NOT_BLOCKED =
  'NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = g.user_id AND b.blocked_id = p.author_id)';

/** The statements that find an item of each kind for user `u` in its window. */
function unreadMessageExists(): string {
  return `EXISTS (SELECT 1 FROM conversations c
    JOIN messages m ON m.recipient_id = c.user_id AND m.sender_id = c.peer_id
    WHERE c.user_id = u.id AND c.unread_count > 0 AND ${notBlockedSql('c')}
      AND m.timestamp > c.last_read_at
      AND m.timestamp > COALESCE(u.digested_until, :epoch) AND m.timestamp <= :until)`;
}

const NOTIFICATIONS_AFTER = (column: string) =>
  `${column} > COALESCE(u.digested_until, :epoch) AND ${column} > COALESCE(u.notifications_seen_at, :epoch) AND ${column} <= :until`;

function newFollowerExists(): string {
  return `EXISTS (SELECT 1 FROM follows f WHERE f.followed_id = u.id AND ${NOTIFICATIONS_AFTER('f.created_at')})`;
}

function mentionExists(): string {
  return `EXISTS (SELECT 1 FROM notification_groups g JOIN posts p ON p.id = g.post_id
    WHERE g.user_id = u.id AND g.kind = '${NotificationKind.Mention}' AND ${MENTION_NOT_BLOCKED}
      AND ${NOTIFICATIONS_AFTER('g.latest_at')})`;
}

function announcementExists(): string {
  return `EXISTS (SELECT 1 FROM notification_groups g
    WHERE g.user_id = u.id AND g.kind = '${NotificationKind.Announcement}'
      AND ${NOTIFICATIONS_AFTER('g.latest_at')})`;
}

/**
 * The next `limit` users after `afterId` (in id order) a digest is due for at `clock.now`: the
 * conditions of isDue and emailKinds, and at least one item in the window. The caller checks
 * each again under the user's lock before sending.
 */
export async function dueUserIds(
  manager: EntityManager,
  clock: DigestClock,
  afterId: number,
  limit: number,
): Promise<number[]> {
  const since = new Date(clock.now.getTime() - clock.afterMs);
  const until = new Date(clock.now.getTime() - SETTLE_MS);
  const rows = await manager
    .getRepository(User)
    .createQueryBuilder('u')
    .select('u.id', 'id')
    .where('u.id > :afterId', { afterId })
    .andWhere('u.disabled = 0 AND u.email_confirmed_at IS NOT NULL')
    .andWhere('u.last_seen < :since', { since })
    .andWhere('(u.digest_sent_at IS NULL OR u.digest_sent_at < :since)', { since })
    .andWhere(
      new Brackets((kinds) =>
        kinds
          .where(`(u.email_messages = 1 AND ${unreadMessageExists()})`)
          .orWhere(`(u.email_follows = 1 AND u.notify_follows = 1 AND ${newFollowerExists()})`)
          .orWhere(`(u.email_mentions = 1 AND u.notify_mentions = 1 AND ${mentionExists()})`)
          .orWhere(
            `(u.email_announcements = 1 AND u.notify_announcements = 1 AND ${announcementExists()})`,
          ),
      ),
    )
    .setParameters({ epoch: EPOCH, until })
    .orderBy('u.id', 'ASC')
    .limit(limit)
    .getRawMany<{ id: number | string }>();
  return rows.map((row) => Number(row.id));
}

/** Reads what the digest of `user` tells of: the kinds in `kinds`, items in `window`. */
export async function readDigestItems(
  manager: EntityManager,
  user: User,
  window: DigestWindow,
  kinds: Set<DigestKind>,
): Promise<DigestItems> {
  return {
    messages: kinds.has('messages')
      ? messagesBySender(await unreadBySender(manager, user, window))
      : { ...emptySection(), senders: 0 },
    follows: kinds.has('follows')
      ? await counted(newFollowers(manager, user, window), SHOWN.followers, (row) => ({
          username: String(row.username),
          at: rawDate(row.at as string | Date),
        }))
      : emptySection(),
    mentions: kinds.has('mentions')
      ? await counted(mentions(manager, user, window), SHOWN.mentions, (row) => ({
          author: String(row.author),
          body: String(row.body),
          at: rawDate(row.at as string | Date),
        }))
      : emptySection(),
    announcements: kinds.has('announcements')
      ? await counted(announcements(manager, user, window), SHOWN.announcements, (row) => ({
          text: typeof row.text === 'string' ? row.text : '',
          at: rawDate(row.at as string | Date),
        }))
      : emptySection(),
  };
}

/** The newest `shown` rows of `query` and how many it has in all. */
async function counted<T, E extends object>(
  query: SelectQueryBuilder<E>,
  shown: number,
  map: (row: Record<string, unknown>) => T,
) {
  const total = await query.clone().getCount();
  const rows = total === 0 ? [] : await query.limit(shown).getRawMany<Record<string, unknown>>();
  return { total, items: rows.map(map) };
}

/** Unread messages in the window, per sender: blocked senders left out, as the badge does. */
async function unreadBySender(manager: EntityManager, user: User, window: DigestWindow) {
  const rows = await manager
    .getRepository(Message)
    .createQueryBuilder('m')
    .innerJoin(Conversation, 'c', 'c.user_id = m.recipient_id AND c.peer_id = m.sender_id')
    .innerJoin(User, 's', 's.id = m.sender_id')
    .select('s.username', 'username')
    .addSelect('COUNT(*)', 'count')
    .addSelect('MAX(m.timestamp)', 'latest')
    .where('m.recipient_id = :userId', { userId: user.id })
    .andWhere('m.timestamp > c.last_read_at')
    .andWhere('m.timestamp > :after AND m.timestamp <= :until', {
      after: window.messagesAfter,
      until: window.until,
    })
    .andWhere(notBlockedSql('c'))
    .groupBy('s.id')
    .addGroupBy('s.username')
    .getRawMany<{ username: string; count: number | string; latest: string | Date }>();
  return rows.map((row) => ({
    username: row.username,
    count: Number(row.count),
    latestAt: rawDate(row.latest),
  }));
}

function newFollowers(manager: EntityManager, user: User, window: DigestWindow) {
  return manager
    .getRepository(Follow)
    .createQueryBuilder('f')
    .innerJoin(User, 'x', 'x.id = f.follower_id')
    .select('x.username', 'username')
    .addSelect('f.created_at', 'at')
    .where('f.followed_id = :userId', { userId: user.id })
    .andWhere('f.created_at > :after AND f.created_at <= :until', {
      after: window.notificationsAfter,
      until: window.until,
    })
    .orderBy('f.created_at', 'DESC');
}

function mentions(manager: EntityManager, user: User, window: DigestWindow) {
  return manager
    .getRepository(NotificationGroup)
    .createQueryBuilder('g')
    .innerJoin(Post, 'p', 'p.id = g.post_id')
    .innerJoin(User, 'a', 'a.id = p.author_id')
    .select('a.username', 'author')
    .addSelect('p.body', 'body')
    .addSelect('g.latest_at', 'at')
    .where('g.user_id = :userId AND g.kind = :kind', {
      userId: user.id,
      kind: NotificationKind.Mention,
    })
    .andWhere('g.latest_at > :after AND g.latest_at <= :until', {
      after: window.notificationsAfter,
      until: window.until,
    })
    .andWhere(MENTION_NOT_BLOCKED)
    .orderBy('g.latest_at', 'DESC');
}

function announcements(manager: EntityManager, user: User, window: DigestWindow) {
  return manager
    .getRepository(NotificationGroup)
    .createQueryBuilder('g')
    .select('g.text', 'text')
    .addSelect('g.latest_at', 'at')
    .where('g.user_id = :userId AND g.kind = :kind', {
      userId: user.id,
      kind: NotificationKind.Announcement,
    })
    .andWhere('g.latest_at > :after AND g.latest_at <= :until', {
      after: window.notificationsAfter,
      until: window.until,
    })
    .orderBy('g.latest_at', 'DESC');
}
