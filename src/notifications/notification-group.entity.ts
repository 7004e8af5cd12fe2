import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

/** The kinds of notification the notification center lists, each with a preference. */
export enum NotificationKind {
  Follow = 'follow',
  Mention = 'mention',
  Message = 'message',
  Announcement = 'announcement',
}

/**
 * One line of a user's notification center: notifications of one kind and target within a
 * window, grouped as they arrive ("alice and 3 others followed you"). A mention or an
 * announcement is a group of its own. The page is one index range scan on (user, latest_at).
 */
@Entity({ name: 'notification_groups' })
@Index('IDX_notification_groups_key', ['userId', 'groupKey'], { unique: true })
@Index('IDX_notification_groups_latest', ['userId', 'latestAt', 'id'])
export class NotificationGroup {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: User;

  @Column({ type: 'varchar', length: 16 })
  kind!: NotificationKind;

  /** Kind, target and time window: notifications with the same key join one group. */
  @Column({ name: 'group_key', type: 'varchar', length: 100 })
  groupKey!: string;

  /** How many notifications the group holds. */
  @Column({ type: 'int', default: 1 })
  count!: number;

  /** The newest distinct actors' ids, newest first, as JSON (at most three are shown). */
  @Column({ name: 'actor_ids', type: 'varchar', length: 200, default: '[]' })
  actorIds!: string;

  /** The post a mention is in: deleting the post deletes the mention. */
  @Index()
  @Column({ name: 'post_id', type: 'int', nullable: true })
  postId!: number | null;

  // Named by string: posts/ depends on notifications/, not the other way round.
  @ManyToOne('Post', { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'post_id' })
  post!: unknown;

  /** An announcement's text. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  text!: string | null;

  @Column({ name: 'latest_at', ...TIMESTAMP_COLUMN })
  latestAt!: Date;
}
