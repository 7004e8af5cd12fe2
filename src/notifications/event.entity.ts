import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * History, not state: one entry of a user's append-only event log (a message arrived, was
 * deleted, was seen; a session ended), or an announcement to everyone (userId null: one row
 * for all users). Entries are never replaced; they are pruned by age and by a per-user cap
 * (EventLogService.prune).
 *
 * Order: a user's entries are numbered 1, 2, 3... (`seq`) under the user's row lock, in the
 * transaction that writes them, so they commit in the order of their numbers. Announcements
 * are numbered among themselves under the announcement counter's row lock, which every other
 * event writer holds shared: `announcementsBefore` is how many announcements committed before
 * an entry, and that is its place among them in every user's order.
 */
@Entity({ name: 'events' })
@Index('IDX_events_user_seq', ['userId', 'seq'], { unique: true })
@Index('IDX_events_timestamp', ['timestamp'])
export class Event {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int', nullable: true })
  userId!: number | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'user_id' })
  user!: User | null;

  /** Its number in the user's log; for an announcement, among announcements. */
  @Column({ type: 'int' })
  seq!: number;

  @Column({ name: 'announcements_before', type: 'int' })
  announcementsBefore!: number;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ name: 'payload_json', type: 'text' })
  payloadJson!: string;

  /** Unix seconds with sub-second precision, as the tutorial's notifications carry. */
  @Column({ type: 'double' })
  timestamp!: number;
}
