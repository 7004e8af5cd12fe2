import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Message } from '../messages/message.entity';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

/** "Never read": earlier than any message, so every message from the peer counts as unread. */
export const NEVER_READ = new Date(0);

/**
 * One user's side of an exchange with another user (a row for each side): the read mark
 * that decides what is unread, and the newest message either way, so the conversation list
 * is one indexed read of this table.
 */
@Entity({ name: 'conversations' })
// The conversation list: a user's rows, newest activity first (peer: the order among equals).
@Index('IDX_conversations_user_activity', ['userId', 'lastActivityAt', 'peerId'])
export class Conversation {
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  @PrimaryColumn({ name: 'peer_id', type: 'int' })
  peerId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: User;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'peer_id' })
  peer!: User;

  /** Messages from the peer stamped after this moment are unread. */
  @Column({ name: 'last_read_at', ...TIMESTAMP_COLUMN })
  lastReadAt!: Date;

  /**
   * How many messages from the peer are stamped after the read mark: kept by every change
   * under the user's row lock, so counts are read, not counted (see read-marks.ts).
   */
  @Column({ name: 'unread_count', type: 'int', default: 0 })
  unreadCount!: number;

  /** The newest message either way; null once every message was deleted. */
  @Column({ name: 'last_message_id', type: 'int', nullable: true })
  lastMessageId!: number | null;

  @ManyToOne(() => Message, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'last_message_id' })
  lastMessage!: Message | null;

  @Column({ name: 'last_activity_at', ...TIMESTAMP_COLUMN })
  lastActivityAt!: Date;
}
