import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

export const MESSAGE_MAX = 140;
/** Code points the column holds: 140 visible characters may take several each. */
export const MESSAGE_COLUMN_LENGTH = 1000;

@Entity({ name: 'messages' })
// The inbox (recipient, timestamp): one index range scan.
@Index('IDX_messages_recipient_timestamp', ['recipientId', 'timestamp'])
// One conversation's messages from one side: its unread count (timestamp after the read mark)
// and the thread are index range scans.
@Index('IDX_messages_recipient_sender_timestamp', ['recipientId', 'senderId', 'timestamp'])
export class Message {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index()
  @Column({ name: 'sender_id' })
  senderId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sender_id' })
  sender!: User;

  // Indexed by the (recipient, timestamp) index above, whose first column it is.
  @Column({ name: 'recipient_id' })
  recipientId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'recipient_id' })
  recipient!: User;

  @Column({ type: 'varchar', length: MESSAGE_COLUMN_LENGTH })
  body!: string;

  @Index()
  @Column(TIMESTAMP_COLUMN)
  timestamp!: Date;
}
