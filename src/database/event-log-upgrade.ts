import { QueryRunner } from 'typeorm';

/**
 * The data step of the EventLog migration (both dialects), between creating the tables and
 * the (user, name) unique index on notifications: the announcement counter's one row, and
 * notifications reduced to state. new_message, message_deleted and conversation_seen are
 * events now (the log starts empty: streams of older clients get `reset`), and each user
 * keeps one row per name, the newest.
 */
export async function prepareEventLog(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`INSERT INTO announcement_sequence (id, last_seq) VALUES (1, 0)`);
  await queryRunner.query(
    `DELETE FROM notifications
     WHERE name IN ('new_message', 'message_deleted', 'conversation_seen') AND user_id IS NOT NULL`,
  );
  // The derived table lets MySQL read the table a DELETE changes.
  await queryRunner.query(
    `DELETE FROM notifications WHERE user_id IS NOT NULL AND id NOT IN (
       SELECT id FROM (
         SELECT MAX(id) AS id FROM notifications WHERE user_id IS NOT NULL GROUP BY user_id, name
       ) newest
     )`,
  );
}
