import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Tx } from '../database/transaction.service';
import { User } from '../users/user.entity';
import { ANNOUNCEMENT_SEQUENCE_ROW, AnnouncementSequence } from './announcement-sequence.entity';
import { NotificationBus, StreamEvent } from './bus/notification-bus';
import { Cursor } from './event-cursor';
import { Event } from './event.entity';
import { NotificationDto, SESSION_ENDED } from './notification-types';

/** A user row the caller's transaction holds locked, with its event number read under the lock. */
export type LockedUser = Pick<User, 'id' | 'eventSeq'>;

/** An event to append to one user's log. */
export interface LogEntry {
  userId: number;
  name: string;
  data: unknown;
}

interface EventRow {
  user_id: number | null;
  seq: number;
  announcements_before: number;
  name: string;
  payload_json: string;
  timestamp: number;
}

/** What a stream sends of a stored event; its JSON built once for every connection. */
export function toStreamEvent(row: Omit<Event, 'id' | 'user'>): StreamEvent {
  const data = JSON.parse(row.payloadJson) as unknown;
  const dto: NotificationDto = { name: row.name, data, timestamp: row.timestamp };
  if (row.userId === null) {
    // An announcement to everyone (a line of every notification center).
    dto.everyone = true;
  }
  const event: StreamEvent = {
    userId: row.userId,
    seq: row.seq,
    announcementsBefore: row.announcementsBefore,
    name: row.name,
    json: JSON.stringify(dto),
  };
  if (row.name === SESSION_ENDED) {
    event.endsSession = (data as { session: string | null }).session;
  }
  return event;
}

function fromRow(row: EventRow): StreamEvent {
  return toStreamEvent({
    userId: row.user_id === null ? null : Number(row.user_id),
    seq: Number(row.seq),
    announcementsBefore: Number(row.announcements_before),
    name: row.name,
    payloadJson: row.payload_json,
    timestamp: Number(row.timestamp),
  });
}

/** Whether `rows` (ascending) hold every number after `after` up to `upTo`, none missing. */
function holdsEvery(rows: StreamEvent[], after: number, upTo: number): boolean {
  return rows.length >= upTo - after && rows.every((row, i) => row.seq === after + 1 + i);
}

/** One user's order: each announcement goes before the first event that counts it. */
function merge(own: StreamEvent[], announcements: StreamEvent[]): StreamEvent[] {
  const merged: StreamEvent[] = [];
  let next = 0;
  for (const event of own) {
    while (next < announcements.length && announcements[next].seq <= event.announcementsBefore) {
      merged.push(announcements[next++]);
    }
    merged.push(event);
  }
  return merged.concat(announcements.slice(next));
}

/**
 * The append-only event log: each user's events numbered in commit order, announcements
 * numbered among themselves, and replay from a cursor (null when the log no longer holds
 * what follows it: the client must reset).
 */
@Injectable()
export class EventLogService {
  constructor(
    @InjectRepository(Event) private readonly events: Repository<Event>,
    private readonly bus: NotificationBus,
  ) {}

  /**
   * Appends `entries` to their users' logs inside the caller's transaction, which holds the
   * row lock of every user named (`locked`, read under that lock), and publishes them once
   * it has committed. Three statements, whatever the number of entries.
   */
  async append(
    tx: Tx,
    locked: readonly LockedUser[],
    entries: readonly LogEntry[],
    timestamp = Date.now() / 1000,
  ) {
    if (entries.length === 0) {
      return;
    }
    const seqs = new Map(locked.map((user) => [user.id, user.eventSeq]));
    const announcementsBefore = await this.announcementCount(tx.manager, 'shared');
    const rows = entries.map(({ userId, name, data }) => {
      const last = seqs.get(userId);
      if (last === undefined) {
        throw new Error(`User ${userId}'s row is not locked: their events can't be numbered`);
      }
      seqs.set(userId, last + 1);
      const payloadJson = JSON.stringify(data);
      return { userId, seq: last + 1, announcementsBefore, name, payloadJson, timestamp };
    });
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(Event)
      .values(rows)
      .updateEntity(false)
      .execute();
    await this.saveSeqs(
      tx.manager,
      new Map(rows.map((row) => [row.userId, seqs.get(row.userId)!])),
    );
    locked.forEach((user) => (user.eventSeq = seqs.get(user.id) ?? user.eventSeq));
    const published = rows.map(toStreamEvent);
    tx.afterCommit(() =>
      published.forEach((event) => this.bus.publish(event.userId as number, event)),
    );
  }

  /** Appends an announcement to everyone's order: one row, numbered under the counter's lock. */
  async appendAnnouncement(
    tx: Tx,
    name: string,
    data: unknown,
    timestamp = Date.now() / 1000,
  ): Promise<void> {
    const before = await this.announcementCount(tx.manager, 'exclusive');
    const row = {
      userId: null,
      seq: before + 1,
      announcementsBefore: before,
      name,
      payloadJson: JSON.stringify(data),
      timestamp,
    };
    await tx.manager.getRepository(Event).insert(row);
    await tx.manager
      .getRepository(AnnouncementSequence)
      .update({ id: ANNOUNCEMENT_SEQUENCE_ROW }, { lastSeq: row.seq });
    const event = toStreamEvent(row);
    tx.afterCommit(() => this.bus.publishToAll(event));
  }

  /** How many announcements there are (the second half of a page's cursor). */
  async announcements(): Promise<number> {
    return this.announcementCount(this.events.manager, 'none');
  }

  /** The users' event numbers now, by id. */
  async eventSeqs(userIds: number[]): Promise<Map<number, number>> {
    const rows = await this.events.query<{ id: number; event_seq: number }[]>(
      `SELECT id, event_seq FROM users WHERE id IN (${userIds.map(() => '?').join(', ')})`,
      userIds,
    );
    return new Map(rows.map((row) => [Number(row.id), Number(row.event_seq)]));
  }

  /** Where the user's order stands now: a fresh stream starts here. */
  async position(userId: number): Promise<Cursor> {
    const rows = await this.events.query<{ seq: number; announcement: number }[]>(
      `SELECT u.event_seq AS seq, a.last_seq AS announcement
       FROM users u CROSS JOIN announcement_sequence a WHERE u.id = ? AND a.id = ?`,
      [userId, ANNOUNCEMENT_SEQUENCE_ROW],
    );
    const row = rows[0];
    return { seq: Number(row?.seq ?? 0), announcement: Number(row?.announcement ?? 0) };
  }

  /**
   * Every event of the user's order after `after`, in order, none missing; null when the log
   * no longer holds them all (pruned, or a cursor this database never gave out).
   */
  async replay(userId: number, after: Cursor): Promise<StreamEvent[] | null> {
    // The position first: an event it counts has committed, so the reads below must find it.
    const now = await this.position(userId);
    if (after.seq > now.seq || after.announcement > now.announcement) {
      return null;
    }
    const own = after.seq < now.seq ? await this.rowsAfter(userId, after.seq) : [];
    const announcements =
      after.announcement < now.announcement ? await this.rowsAfter(null, after.announcement) : [];
    if (
      !holdsEvery(own, after.seq, now.seq) ||
      !holdsEvery(announcements, after.announcement, now.announcement)
    ) {
      return null;
    }
    return merge(own, announcements);
  }

  private async rowsAfter(userId: number | null, after: number): Promise<StreamEvent[]> {
    const owner = userId === null ? 'user_id IS NULL' : 'user_id = ?';
    const rows = await this.events.query<EventRow[]>(
      `SELECT user_id, seq, announcements_before, name, payload_json, timestamp
       FROM events WHERE ${owner} AND seq > ? ORDER BY seq`,
      userId === null ? [after] : [userId, after],
    );
    return rows.map(fromRow);
  }

  private async announcementCount(manager: EntityManager, lock: 'none' | 'shared' | 'exclusive') {
    const sqlite = manager.connection.options.type === 'better-sqlite3';
    // SQLite runs one transaction at a time (TransactionService): no lock to take.
    const clauses = { none: '', shared: ' LOCK IN SHARE MODE', exclusive: ' FOR UPDATE' };
    const clause = sqlite ? '' : clauses[lock];
    const rows = await manager.query<{ last_seq: number }[]>(
      `SELECT last_seq FROM announcement_sequence WHERE id = ?${clause}`,
      [ANNOUNCEMENT_SEQUENCE_ROW],
    );
    if (!rows.length) {
      throw new Error('announcement_sequence has no row: run the migrations');
    }
    return Number(rows[0].last_seq);
  }

  /** One UPDATE for every user whose number moved. */
  private async saveSeqs(manager: EntityManager, seqs: Map<number, number>): Promise<void> {
    const ids = [...seqs.keys()];
    const cases = ids.map(() => 'WHEN ? THEN ?').join(' ');
    await manager.query(
      `UPDATE users SET event_seq = CASE id ${cases} END WHERE id IN (${ids.map(() => '?').join(', ')})`,
      [...ids.flatMap((id) => [id, seqs.get(id)]), ...ids],
    );
  }
}
