import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * State, not history: the current value of one kind of notification for one user (e.g.
 * unread_message_count), or for every user when userId is null (the newest announcement).
 * A new value replaces the old one. This is what the tutorial's GET /notifications?since=
 * serves and what a new stream starts with; what happened, in order, is in the event log
 * (event.entity.ts).
 */
@Entity({ name: 'notifications' })
// One row per user and name: a new value is written in place (an upsert on this key).
@Index('IDX_notifications_user_name', ['userId', 'name'], { unique: true })
export class Notification {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index()
  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ name: 'user_id', type: 'int', nullable: true })
  userId!: number | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'user_id' })
  user!: User | null;

  /** Unix seconds with sub-second precision, as the tutorial's client expects. */
  @Index()
  @Column({ type: 'double' })
  timestamp!: number;

  @Column({ name: 'payload_json', type: 'text' })
  payloadJson!: string;

  get payload(): unknown {
    return JSON.parse(this.payloadJson) as unknown;
  }
}
