import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP_COLUMN } from '../users/user.entity';

export const EMAIL_KINDS = ['password_reset', 'email_confirmation', 'digest'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export type OutboundEmailStatus = 'pending' | 'sent' | 'failed';

/**
 * The outbox: an email is a row first, written in the transaction that decided to send it, and
 * a sender in some app process delivers it afterwards. A request never waits for SMTP, a
 * refused delivery is retried with backoff, and a process that stops loses nothing.
 */
@Entity({ name: 'outbound_emails' })
// The sender's queue: the due pending rows, oldest first.
@Index('IDX_outbound_emails_due', ['status', 'nextAttemptAt', 'id'])
export class OutboundEmail {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Null for an email to an address no account holds any more. */
  @Index()
  @Column({ name: 'user_id', type: 'int', nullable: true })
  userId!: number | null;

  @Column({ type: 'varchar', length: 32 })
  kind!: EmailKind;

  @Column({ name: 'to_address', type: 'varchar', length: 120 })
  toAddress!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody!: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody!: string;

  /** Extra headers (List-Unsubscribe...), as a JSON object. */
  @Column({ type: 'text' })
  headers!: string;

  /** Stable across retries, so a receiver can drop a copy that was delivered twice. */
  @Column({ name: 'message_id', type: 'varchar', length: 190, unique: true })
  messageId!: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: OutboundEmailStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', ...TIMESTAMP_COLUMN })
  nextAttemptAt!: Date;

  /** A sender claimed the row until then; after it, another may (the first one stopped). */
  @Column({ name: 'claimed_until', ...TIMESTAMP_COLUMN, nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', ...TIMESTAMP_COLUMN })
  createdAt!: Date;

  @Column({ name: 'sent_at', ...TIMESTAMP_COLUMN, nullable: true })
  sentAt!: Date | null;
}
