import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';
import { Post } from './post.entity';

/**
 * One post in one user's home timeline (their own posts and those of the people they follow),
 * written when the post is delivered or the follow begins. Reading a home timeline is then one
 * index range scan on (user, timestamp), whatever the number of posts or follows.
 */
@Entity({ name: 'timeline_entries' })
@Index('IDX_timeline_user_timestamp', ['userId', 'timestamp', 'postId'])
// An unfollow or a block removes one author's posts from one timeline.
@Index('IDX_timeline_user_author', ['userId', 'authorId'])
export class TimelineEntry {
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  @PrimaryColumn({ name: 'post_id', type: 'int' })
  postId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: User;

  @Index()
  @ManyToOne(() => Post, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'post_id' })
  post!: Post;

  @Column({ name: 'author_id', type: 'int' })
  authorId!: number;

  /** The post's timestamp, copied so the timeline sorts without reading posts. */
  @Column(TIMESTAMP_COLUMN)
  timestamp!: Date;
}
