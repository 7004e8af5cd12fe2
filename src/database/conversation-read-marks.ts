import { QueryRunner } from 'typeorm';

/** How "never read" is stored: the earliest moment, as both dialects write datetime(3). */
const EPOCH = '1970-01-01 00:00:00.000';

const PAIR_MESSAGES = `FROM messages m
  WHERE (m.sender_id = p.user_id AND m.recipient_id = p.peer_id)
     OR (m.sender_id = p.peer_id AND m.recipient_id = p.user_id)`;

/**
 * Upgrade: a conversation row for each side of every pair that exchanged messages, its read
 * mark the user's old inbox read time and its unread count the messages from the peer stamped
 * after it. A message was unread when stamped after that time, and is unread now when stamped
 * after its conversation's mark: every count stays what it was.
 */
export async function readTimesToConversations(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(
    `INSERT INTO conversations
       (user_id, peer_id, last_read_at, unread_count, last_message_id, last_activity_at)
     SELECT p.user_id, p.peer_id, COALESCE(u.last_message_read_time, '${EPOCH}'),
       (SELECT COUNT(*) FROM messages m
        WHERE m.recipient_id = p.user_id AND m.sender_id = p.peer_id
          AND m.timestamp > COALESCE(u.last_message_read_time, '${EPOCH}')),
       (SELECT m.id ${PAIR_MESSAGES} ORDER BY m.timestamp DESC, m.id DESC LIMIT 1),
       (SELECT MAX(m.timestamp) ${PAIR_MESSAGES})
     FROM (SELECT sender_id AS user_id, recipient_id AS peer_id FROM messages
           UNION SELECT recipient_id, sender_id FROM messages) p
     JOIN users u ON u.id = p.user_id`,
  );
}

/**
 * Downgrade: one read time per user again, the earliest of their conversations' marks, so
 * nothing unread becomes read (some read messages may count as unread again).
 */
export async function conversationsToReadTimes(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(
    `UPDATE users SET last_message_read_time = (
       SELECT MIN(c.last_read_at) FROM conversations c
       WHERE c.user_id = users.id AND c.last_read_at > '${EPOCH}')`,
  );
}
