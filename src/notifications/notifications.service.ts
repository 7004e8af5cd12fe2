import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { SESSION_ENDED_EVENT, SessionEndedEvent } from '../auth/session-ended.event';
import { PageRequest } from '../common/pagination';
import { TransactionService, Tx } from '../database/transaction.service';
import { UsersService } from '../users/users.service';
import { EventLogService, LockedUser } from './event-log.service';
import { addAnnouncementToCenters } from './center-announcements';
import { Notification } from './notification.entity';
import { NotificationDto, STATE_NAMES, UserEvent } from './notification-types';

/** A notifications row as `repository.query` returns it, on either driver. */
interface StateRow {
  id: number | string;
  name: string;
  timestamp: number | string;
  payload_json: string;
}

/** A row of the table's state as the clients read it (payload parsed as Notification.payload). */
export function mapNotification(row: StateRow): NotificationDto {
  return {
    name: row.name,
    data: JSON.parse(row.payload_json) as unknown,
    timestamp: Number(row.timestamp),
  };
}

/** What the notification center shows of an announcement: its text, or its name. */
export function announcementText(name: string, data: unknown): string {
  if (typeof data === 'string') {
    return data;
  }
  const fields = (data ?? {}) as Record<string, unknown>;
  const text = ['text', 'message', 'body']
    .map((key) => fields[key])
    .find((v) => typeof v === 'string');
  return text ?? name;
}

/**
 * Rows of one user's state (own and for everyone), keeping the newest of each name, oldest
 * first: an announcement and the user's own notification can share a name, and the later one
 * is the current state.
 */
function newestPerName(rows: StateRow[]): StateRow[] {
  const newest = new Map<string, StateRow>();
  rows.forEach((row) => {
    const kept = newest.get(row.name);
    if (!kept || Number(row.timestamp) >= Number(kept.timestamp)) {
      newest.set(row.name, row);
    }
  });
  return [...newest.values()].sort(
    (a, b) => Number(a.timestamp) - Number(b.timestamp) || Number(a.id) - Number(b.id),
  );
}

/**
 * Notifications as the two things they are: state (a user's current value of a name, kept in
 * the notifications table) and history (the event log). `record` writes both in the caller's
 * transaction; streams get the events once it commits.
 */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectRepository(Notification) private readonly notifications: Repository<Notification>,
    private readonly log: EventLogService,
    private readonly users: UsersService,
    private readonly transactions: TransactionService,
  ) {}

  /**
   * Appends `events` to their users' logs, and sets the state of those that are state (the
   * unread count), inside the caller's transaction, which holds the rows of `locked`.
   */
  async record(tx: Tx, locked: readonly LockedUser[], events: readonly UserEvent[]) {
    // One moment for the events and the state they set: a page tells them apart by it (an
    // announcement dismissed by its timestamp stays dismissed when its state comes back).
    const timestamp = Date.now() / 1000;
    await this.log.append(tx, locked, events, timestamp);
    for (const event of events) {
      if (STATE_NAMES.has(event.name)) {
        await this.setState(tx, event.userId, event.name, event.data, timestamp);
      }
    }
  }

  /** An admin's notification of a free-form name to one user: state and event. */
  notifyUser(userId: number, name: string, data: unknown): Promise<void> {
    return this.transactions.run(async (tx) => {
      const [user] = await this.users.lockAllForUpdate(tx.manager, [userId]);
      const timestamp = Date.now() / 1000;
      await this.log.append(tx, [user], [{ userId, name, data }], timestamp);
      await this.setState(tx, userId, name, data, timestamp);
    });
  }

  /**
   * An announcement to every user: one state row (replacing everyone's of this name) and one
   * event in every user's order. Returns how many users there are.
   */
  async announce(name: string, data: unknown): Promise<number> {
    await this.transactions.run(async (tx) => {
      const repository = tx.manager.getRepository(Notification);
      const timestamp = Date.now() / 1000;
      await repository.delete({ userId: IsNull(), name });
      await repository.insert({ userId: null, name, payloadJson: JSON.stringify(data), timestamp });
      // The bell's state is stamped with the announcement's moment: a page that has it has
      // counted the announcement (public/js/notifications.js).
      await addAnnouncementToCenters(tx, announcementText(name, data), timestamp);
      await this.log.appendAnnouncement(tx, name, data, timestamp);
    });
    return this.users.count();
  }

  /** A session ended (logout, "everywhere", account disabled): its streams end, everywhere. */
  @OnEvent(SESSION_ENDED_EVENT, { async: true, promisify: true, suppressErrors: false })
  onSessionEnded({ userId, sessionId }: SessionEndedEvent): Promise<void> {
    return this.transactions.run(async (tx) => {
      const locked = await this.users.lockAllForUpdate(tx.manager, [userId]);
      await this.log.append(tx, locked, [
        { userId, name: 'session_ended', data: { session: sessionId } },
      ]);
    });
  }

  /** The user's value of `name`, written in place (one upsert on the (user, name) key). */
  private async setState(
    tx: Tx,
    userId: number,
    name: string,
    data: unknown,
    timestamp: number,
  ): Promise<void> {
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values({ userId, name, payloadJson: JSON.stringify(data), timestamp })
      .orUpdate(['payload_json', 'timestamp'], ['user_id', 'name'])
      .updateEntity(false)
      .execute();
  }

  /**
   * The user's state (own and for everyone) changed after `since` (unix seconds), oldest
   * first, one per name: the tutorial's GET /notifications?since=, and a new stream's start.
   */
  async since(userId: number, since: number): Promise<NotificationDto[]> {
    // Plain SQL: a stream's every connect reads this, and TypeORM's find costs more than the
    // read. The WHERE is the one find built, so each database returns the rows in its order of
    // before (which row wins a tie in newestPerName).
    const rows = await this.notifications.query<StateRow[]>(
      `SELECT id, name, timestamp, payload_json FROM notifications
       WHERE (user_id = ? AND timestamp > ?) OR (user_id IS NULL AND timestamp > ?)`,
      [userId, since, since],
    );
    return newestPerName(rows).map(mapNotification);
  }

  /** Notifications matching the filter, newest first (admin). */
  list(filter: { userId?: number; name?: string }, page: PageRequest) {
    return this.notifications.findAndCount({
      where: {
        ...(filter.userId ? { userId: filter.userId } : {}),
        ...(filter.name ? { name: filter.name } : {}),
      },
      order: { timestamp: 'DESC', id: 'DESC' },
      skip: page.offset,
      take: page.perPage,
    });
  }

  count(): Promise<number> {
    return this.notifications.count();
  }
}
