import { Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { MailConfig } from '../config/mail.config';
import { OutboundEmail } from './outbound-email.entity';

/** Delivers one outbox email; throws when it was not accepted. */
export interface MailTransport {
  deliver(email: OutboundEmail, from: string): Promise<void>;
  close(): void;
}

function message(email: OutboundEmail, from: string) {
  return {
    from,
    to: email.toAddress,
    subject: email.subject,
    text: email.textBody,
    html: email.htmlBody,
    messageId: email.messageId,
    date: email.createdAt,
    headers: JSON.parse(email.headers) as Record<string, string>,
  };
}

/**
 * SMTP through nodemailer: smtp:// upgrades with STARTTLS when the server offers it, smtps://
 * speaks TLS from the start. Short timeouts, so a server that stops answering fails the attempt
 * (it is retried) instead of holding the sender.
 */
class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;

  constructor(url: string) {
    this.transporter = createTransport({
      url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as SMTPTransport.Options);
  }

  async deliver(email: OutboundEmail, from: string): Promise<void> {
    await this.transporter.sendMail(message(email, from));
  }

  close(): void {
    this.transporter.close();
  }
}

/** The embedded default: each email becomes an .eml file a developer can open. */
class EmlFileTransport implements MailTransport {
  private readonly logger = new Logger('Mail');
  private readonly transporter = createTransport({ streamTransport: true, buffer: true });

  constructor(private readonly dir: string) {}

  async deliver(email: OutboundEmail, from: string): Promise<void> {
    const info = await this.transporter.sendMail(message(email, from));
    await mkdir(this.dir, { recursive: true });
    const stamp = email.createdAt.toISOString().replace(/[:.]/g, '-');
    const path = join(this.dir, `${stamp}-${email.id}-${email.kind}.eml`);
    await writeFile(path, info.message as Buffer);
    this.logger.log(`Email to ${email.toAddress} written to ${path} (no SMTP_URL set)`);
  }

  close(): void {}
}

export function createMailTransport(config: MailConfig): MailTransport {
  return config.smtpUrl ? new SmtpTransport(config.smtpUrl) : new EmlFileTransport(config.mailDir);
}
