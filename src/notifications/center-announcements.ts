import { Tx } from '../database/transaction.service';
import { NotificationKind } from './notification-group.entity';
import { randomUUID } from 'node:crypto';

/**
 * An announcement as a line in the center of everyone who wants announcements, counted
 * towards their bells, with their bell's state rewritten: three statements for all users.
 * The caller runs it before the announcement is numbered, so its users' rows are locked before the
 * announcement counter, in the order every other writer takes them.
 */
export async function addAnnouncementToCenters(
  tx: Tx,
  text: string,
  timestamp: number,
): Promise<void> {
  const sqlite = tx.manager.connection.options.type === 'better-sqlite3';
  const wanted = 'notify_announcements = 1 AND disabled = 0';
  await tx.manager.query(
    `UPDATE users SET unseen_notifications = unseen_notifications + 1 WHERE ${wanted}`,
  );
  await tx.manager.query(
    `INSERT INTO notification_groups (user_id, kind, group_key, count, actor_ids, text, latest_at)
     SELECT id, ?, ?, 1, '[]', ?, ? FROM users WHERE ${wanted}`,
    [
      NotificationKind.Announcement,
      `announcement:${randomUUID()}`,
      text.slice(0, 1000),
      sqlite ? sqliteDatetime(timestamp) : new Date(timestamp * 1000),
    ],
  );
  const count = sqlite
    ? 'CAST(unseen_notifications AS TEXT)'
    : 'CAST(unseen_notifications AS CHAR)';
  const upsert = sqlite
    ? 'ON CONFLICT (user_id, name) DO UPDATE SET payload_json = excluded.payload_json, timestamp = excluded.timestamp'
    : 'ON DUPLICATE KEY UPDATE payload_json = VALUES(payload_json), timestamp = VALUES(timestamp)';
  await tx.manager.query(
    `INSERT INTO notifications (user_id, name, payload_json, timestamp)
     SELECT id, 'notification_count', ${count}, ? FROM users WHERE ${wanted} ${upsert}`,
    [timestamp],
  );
}

/** A datetime(3) value as the SQLite driver stores it (UTC, "YYYY-MM-DD HH:MM:SS.mmm"). */
function sqliteDatetime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace('Z', '');
}
