import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

/** `followerId` follows `followedId`: the followed user's posts reach the follower's timeline. */
@Entity({ name: 'follows' })
// A user's followers and the people they follow, newest first: index range scans.
@Index('IDX_follows_followed_created', ['followedId', 'createdAt'])
@Index('IDX_follows_follower_created', ['followerId', 'createdAt'])
// A post's delivery walks its author's followers in id order, a batch at a time.
@Index('IDX_follows_followed_follower', ['followedId', 'followerId'], { unique: true })
export class Follow {
  @PrimaryColumn({ name: 'follower_id', type: 'int' })
  followerId!: number;

  @PrimaryColumn({ name: 'followed_id', type: 'int' })
  followedId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'follower_id' })
  follower!: User;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'followed_id' })
  followed!: User;

  @Column({ name: 'created_at', ...TIMESTAMP_COLUMN })
  createdAt!: Date;
}
