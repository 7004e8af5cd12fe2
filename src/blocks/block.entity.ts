import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

/**
 * `blockerId` blocked `blockedId`: the blocked user can't message the blocker, and their
 * messages are left out of the blocker's pages and counts. Only the blocker ever sees it.
 */
@Entity({ name: 'blocks' })
export class Block {
  @PrimaryColumn({ name: 'blocker_id', type: 'int' })
  blockerId!: number;

  @PrimaryColumn({ name: 'blocked_id', type: 'int' })
  blockedId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blocker_id' })
  blocker!: User;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'blocked_id' })
  blocked!: User;

  @Column({ name: 'created_at', ...TIMESTAMP_COLUMN })
  createdAt!: Date;
}
