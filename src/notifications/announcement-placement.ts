import { StreamEvent } from './bus/notification-bus';
import { Cursor } from './event-cursor';
import { EventLogService } from './event-log.service';
import { StreamConnection } from './stream-connection';

/** Users whose event numbers one query reads. */
const BATCH = 500;

/**
 * Places a live announcement in the order of every stream waiting on it with one query per
 * 500 users, not a read of the log per stream. The users' event numbers are read after the
 * announcement committed: a stream whose user has no event past its cursor has sent every
 * event the announcement follows (events that commit after it count it), so the announcement
 * is its next event. Any other stream reads the log from its cursor.
 */
export class AnnouncementPlacement {
  private readonly waiting = new Map<StreamConnection, StreamEvent>();
  private scheduled = false;

  constructor(
    private readonly log: EventLogService,
    private readonly readLog: (connection: StreamConnection) => void,
  ) {}

  /** The connection holds `announcement` (and what came after it) until it is placed. */
  add(connection: StreamConnection, announcement: StreamEvent): void {
    this.waiting.set(connection, announcement);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.placeWaiting());
    }
  }

  private async placeWaiting(): Promise<void> {
    const batch = [...this.waiting];
    this.waiting.clear();
    this.scheduled = false;
    const userIds = [...new Set(batch.map(([connection]) => connection.userId))];
    const seqs = new Map<number, number>();
    try {
      for (let i = 0; i < userIds.length; i += BATCH) {
        (await this.log.eventSeqs(userIds.slice(i, i + BATCH))).forEach((seq, id) =>
          seqs.set(id, seq),
        );
      }
    } catch {
      seqs.clear(); // every stream reads the log instead, and fails there if it must
    }
    for (const [connection, announcement] of batch) {
      const cursor = connection.position as Cursor;
      const upToDate =
        seqs.get(connection.userId) === cursor.seq && announcement.seq === cursor.announcement + 1;
      if (upToDate) {
        connection.replayed([announcement]);
      } else {
        this.readLog(connection);
      }
    }
  }
}
