import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { PageRequest } from '../common/pagination';
import { TransactionService, Tx } from '../database/transaction.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { NotificationGroup, NotificationKind } from './notification-group.entity';
import { UserEvent } from './notification-types';
import { NotificationsService } from './notifications.service';

/** Follows and messages from one person within this window join one line of the center. */
export const GROUP_WINDOW_MS = 12 * 60 * 60 * 1000;
/** The actors a group remembers by name ("alice, bob and 3 others"). */
const ACTORS_SHOWN = 3;

/** A mentioning post as the center shows it. */
export interface MentionPost {
  id: number;
  body: string;
  author: string;
}

/** One line of the center page (views/notifications/center.hbs). */
export interface NotificationView {
  id: number;
  kind: NotificationKind;
  count: number;
  /** The newest actors, newest first (up to three). */
  actors: User[];
  first: User | null;
  /** How many notifications besides the newest ("alice and 3 others"). */
  others: number;
  post: MentionPost | null;
  text: string | null;
  latestAt: Date;
  /** Arrived after the user last opened the center. */
  isNew: boolean;
}

/** One notification about to reach a user's center. */
export type CenterNotification =
  | { kind: NotificationKind.Follow; actorId: number }
  | { kind: NotificationKind.Message; actorId: number }
  | { kind: NotificationKind.Mention; actorId: number; postId: number };

const PREFERENCE: Record<NotificationKind, keyof User> = {
  [NotificationKind.Follow]: 'notifyFollows',
  [NotificationKind.Mention]: 'notifyMentions',
  [NotificationKind.Message]: 'notifyMessages',
  [NotificationKind.Announcement]: 'notifyAnnouncements',
};

/** Whether the user's preferences let notifications of `kind` into their center. */
export function wants(user: User, kind: NotificationKind): boolean {
  return Boolean(user[PREFERENCE[kind]]);
}

/** Notifications of one kind and target within one window share a key; a mention never does. */
export function groupKey(notification: CenterNotification, at: number): string {
  const window = Math.floor(at / GROUP_WINDOW_MS);
  switch (notification.kind) {
    case NotificationKind.Follow:
      return `follow:${window}`;
    case NotificationKind.Message:
      return `message:${notification.actorId}:${window}`;
    case NotificationKind.Mention:
      return `mention:${notification.postId}`;
  }
}

export function parseActorIds(json: string): number[] {
  const ids = JSON.parse(json) as unknown;
  return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === 'number') : [];
}

/**
 * The notification center's writes: each notification joins (or starts) a group, counts
 * towards the recipient's bell, and becomes events in their log, all in the caller's
 * transaction, which holds the recipient's row locked.
 */
@Injectable()
export class NotificationCenterService {
  constructor(
    @InjectRepository(NotificationGroup) private readonly groups: Repository<NotificationGroup>,
    private readonly notifications: NotificationsService,
    private readonly users: UsersService,
    private readonly transactions: TransactionService,
  ) {}

  /**
   * Adds `notification` to the center of `recipient` (their locked row, kept up to date here)
   * and returns the events to record with the caller's own: none when the recipient's
   * preferences turn the kind off, or when the same person followed again within the window.
   */
  async add(tx: Tx, recipient: User, notification: CenterNotification): Promise<UserEvent[]> {
    if (!wants(recipient, notification.kind)) {
      return [];
    }
    const now = Date.now();
    const repository = tx.manager.getRepository(NotificationGroup);
    const key = groupKey(notification, now);
    const existing = await repository.findOneBy({ userId: recipient.id, groupKey: key });
    let groupId: number;
    if (existing) {
      const actors = parseActorIds(existing.actorIds);
      if (notification.kind === NotificationKind.Follow && actors.includes(notification.actorId)) {
        return [];
      }
      const newest = [notification.actorId, ...actors.filter((id) => id !== notification.actorId)];
      await repository.update(
        { id: existing.id },
        {
          count: existing.count + 1,
          actorIds: JSON.stringify(newest.slice(0, ACTORS_SHOWN)),
          latestAt: new Date(now),
        },
      );
      groupId = existing.id;
    } else {
      const inserted = await repository.insert({
        userId: recipient.id,
        kind: notification.kind,
        groupKey: key,
        count: 1,
        actorIds: JSON.stringify([notification.actorId]),
        postId: notification.kind === NotificationKind.Mention ? notification.postId : null,
        latestAt: new Date(now),
      });
      groupId = Number(inserted.identifiers[0].id);
    }
    await tx.manager.getRepository(User).increment({ id: recipient.id }, 'unseenNotifications', 1);
    recipient.unseenNotifications += 1;
    return [
      {
        userId: recipient.id,
        name: 'notification',
        data: { kind: notification.kind, group: groupId },
      },
      { userId: recipient.id, name: 'notification_count', data: recipient.unseenNotifications },
    ];
  }

  /** The user's center, newest first: one more group than the page holds tells of an older page. */
  page(user: User, page: PageRequest): Promise<NotificationGroup[]> {
    return this.groups.find({
      where: { userId: user.id },
      order: { latestAt: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage + 1,
    });
  }

  /**
   * What the center page shows of each group: its actors by name (one query for the page),
   * the mentioning post, and whether it is new (newer than `seenBefore`).
   */
  async views(groups: NotificationGroup[], seenBefore: Date | null): Promise<NotificationView[]> {
    const actorIds = [...new Set(groups.flatMap((group) => parseActorIds(group.actorIds)))];
    const actors = new Map((await this.users.findByIds(actorIds)).map((user) => [user.id, user]));
    const postIds = groups.map((group) => group.postId).filter((id): id is number => id !== null);
    const posts = await this.mentionPosts(postIds);
    return groups.map((group) => {
      const shown = parseActorIds(group.actorIds)
        .map((id) => actors.get(id))
        .filter((user): user is User => user !== undefined);
      return {
        id: group.id,
        kind: group.kind,
        count: group.count,
        actors: shown,
        first: shown[0] ?? null,
        others: Math.max(0, group.count - 1),
        post: group.postId === null ? null : (posts.get(group.postId) ?? null),
        text: group.text,
        latestAt: group.latestAt,
        isNew: group.latestAt.getTime() > (seenBefore?.getTime() ?? 0),
      };
    });
  }

  /** The posts of mentions by id, with their authors' names (posts/ owns the table). */
  private async mentionPosts(ids: number[]): Promise<Map<number, MentionPost>> {
    if (ids.length === 0) {
      return new Map();
    }
    const rows = await this.groups.manager.query<
      { id: number; body: string; timestamp: Date | string; username: string }[]
    >(
      `SELECT p.id, p.body, p.timestamp, u.username FROM posts p
       JOIN users u ON u.id = p.author_id WHERE p.id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    return new Map(
      rows.map((row) => [
        Number(row.id),
        { id: Number(row.id), body: row.body, author: row.username },
      ]),
    );
  }

  /**
   * Opening the center: nothing is unseen any more, in every tab (the bell's state goes to 0
   * in the user's log). Returns when the user last looked before: newer groups are new.
   */
  markSeen(user: User): Promise<Date | null> {
    return this.transactions.run(async (tx) => {
      const locked = await this.users.lockAllForUpdate(tx.manager, [user.id]);
      const [me] = locked;
      await tx.manager
        .getRepository(User)
        .update({ id: me.id }, { unseenNotifications: 0, notificationsSeenAt: new Date() });
      if (me.unseenNotifications > 0) {
        await this.notifications.record(tx, locked, [
          { userId: me.id, name: 'notification_count', data: 0 },
        ]);
      }
      return me.notificationsSeenAt;
    });
  }

  /** The notifications about a post (its mentions), by recipient: deleting the post ends them. */
  async mentionsOf(
    manager: EntityManager,
    postId: number,
  ): Promise<Map<number, NotificationGroup>> {
    const rows = await manager.getRepository(NotificationGroup).findBy({ postId });
    return new Map(rows.map((row) => [row.userId, row]));
  }

  /**
   * The bells of `recipients` (their locked rows) stop counting the mentions in `groups` they
   * had not seen; returns the events to record. The rows themselves go with the post.
   */
  async forgetMentions(
    tx: Tx,
    recipients: User[],
    groups: Map<number, NotificationGroup>,
  ): Promise<UserEvent[]> {
    const events: UserEvent[] = [];
    for (const recipient of recipients) {
      const group = groups.get(recipient.id);
      const seenAt = recipient.notificationsSeenAt?.getTime() ?? 0;
      if (!group || group.latestAt.getTime() <= seenAt || recipient.unseenNotifications === 0) {
        continue;
      }
      const by = Math.min(group.count, recipient.unseenNotifications);
      await tx.manager
        .getRepository(User)
        .decrement({ id: recipient.id }, 'unseenNotifications', by);
      recipient.unseenNotifications -= by;
      events.push({
        userId: recipient.id,
        name: 'notification_count',
        data: recipient.unseenNotifications,
      });
    }
    return events;
  }

  count(): Promise<number> {
    return this.groups.count();
  }
}
