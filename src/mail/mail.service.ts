import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AllConfigType } from '../config/config.type';
import { EmailKind, OutboundEmail } from './outbound-email.entity';
import { MailSender } from './mail-sender.service';

export interface OutgoingEmail {
  kind: EmailKind;
  to: string;
  /** The account it is for; null when none holds the address. */
  userId: number | null;
  subject: string;
  text: string;
  html: string;
  /** Extra headers, e.g. List-Unsubscribe. */
  headers?: Record<string, string>;
}

/**
 * Queues emails. `queue` writes the email to the outbox in the caller's transaction, so it is
 * sent if and only if that transaction commits; delivery (with retries) happens afterwards in
 * MailSender, never in the request.
 */
@Injectable()
export class MailService {
  constructor(
    private readonly config: ConfigService<AllConfigType, true>,
    private readonly sender: MailSender,
  ) {}

  /** Writes the email to the outbox through `manager`; call `wake()` once it has committed. */
  async queue(manager: EntityManager, email: OutgoingEmail): Promise<void> {
    const now = new Date();
    await manager.getRepository(OutboundEmail).insert({
      kind: email.kind,
      userId: email.userId,
      toAddress: email.to,
      subject: email.subject,
      textBody: email.text,
      htmlBody: email.html,
      headers: JSON.stringify(email.headers ?? {}),
      messageId: `<${randomBytes(16).toString('hex')}@${this.messageIdDomain()}>`,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
  }

  /** Has this process's sender look at the outbox now rather than at its next poll. */
  wake(): void {
    this.sender.wake();
  }

  /** An absolute link into the app, for emails (PUBLIC_URL + path). */
  link(path: string): string {
    return this.config.getOrThrow('mail.publicUrl', { infer: true }) + path;
  }

  private messageIdDomain(): string {
    return new URL(this.config.getOrThrow('mail.publicUrl', { infer: true })).hostname;
  }
}
