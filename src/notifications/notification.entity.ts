import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * The latest state of one kind of notification for one user (e.g. unread_message_count), or
 * for every user when userId is null (an announcement: one row, one event serialised once for
 * every stream). The id only ever grows: it is the stream's event id, so a client can resume
 * after it.
 */
@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index()
  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Index()
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
