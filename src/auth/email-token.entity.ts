import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP_COLUMN, User } from '../users/user.entity';

export type EmailTokenPurpose = 'password_reset' | 'email_confirmation';

/**
 * A link sent by email (password reset, address confirmation). Only the SHA-256 of the random
 * token is stored, so a copy of the database opens no accounts; `used_at` makes it single-use.
 */
@Entity({ name: 'email_tokens' })
@Index('IDX_email_tokens_user_purpose', ['userId', 'purpose', 'createdAt'])
export class EmailToken {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user!: User;

  @Column({ type: 'varchar', length: 32 })
  purpose!: EmailTokenPurpose;

  /** Hex SHA-256 of the token in the link. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64, unique: true })
  tokenHash!: string;

  /** The address the link went to: a confirmation counts only while it is still the user's. */
  @Column({ type: 'varchar', length: 120 })
  email!: string;

  @Column({ name: 'created_at', ...TIMESTAMP_COLUMN })
  createdAt!: Date;

  @Column({ name: 'expires_at', ...TIMESTAMP_COLUMN })
  expiresAt!: Date;

  @Column({ name: 'used_at', ...TIMESTAMP_COLUMN, nullable: true })
  usedAt!: Date | null;
}
