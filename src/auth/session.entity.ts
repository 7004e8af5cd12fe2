import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

/**
 * One login (a browser or an API token). A JWT names its session; logging out deletes the row,
 * so that token is refused from then on, on every route and in every process.
 */
@Entity({ name: 'sessions' })
export class Session {
  /** Random, 22 characters of base64url (128 bits). */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Index()
  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: User;

  @Column({ name: 'created_at', ...TIMESTAMP_COLUMN })
  createdAt!: Date;

  /** When its token expires; later rows are pruned at the user's next login. */
  @Column({ name: 'expires_at', ...TIMESTAMP_COLUMN })
  expiresAt!: Date;
}
