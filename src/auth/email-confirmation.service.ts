import { Injectable } from '@nestjs/common';
import { TransactionService, Tx } from '../database/transaction.service';
import { EmailTemplates } from '../mail/email-templates.service';
import { MailService } from '../mail/mail.service';
import { AccountsService } from '../users/accounts.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { EmailTokensService } from './email-tokens.service';

/** A confirmation link works for this long after it was made. */
export const CONFIRMATION_LINK_DAYS = 7;

export interface ConfirmedAddress {
  userId: number;
  email: string;
}

/**
 * Confirming that an account's address reaches its owner: a link is sent at registration and
 * when the address changes (and again on request). Until it is opened the address stays
 * unconfirmed (users.email_confirmed_at is null), and no notification email goes to it.
 */
@Injectable()
export class EmailConfirmationService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly users: UsersService,
    private readonly tokens: EmailTokensService,
    private readonly transactions: TransactionService,
    private readonly mail: MailService,
    private readonly templates: EmailTemplates,
  ) {}

  /** Queues a link to the user's current address, in the caller's transaction. */
  async send(tx: Tx, user: Pick<User, 'id' | 'email' | 'username' | 'language'>): Promise<void> {
    const token = await this.tokens.issue(
      tx.manager,
      user,
      'email_confirmation',
      CONFIRMATION_LINK_DAYS * 86_400_000,
    );
    const rendered = this.templates.render('email-confirmation', user.language, {
      username: user.username,
      email: user.email,
      link: this.mail.link(`/auth/confirm_email/${token}`),
      days: CONFIRMATION_LINK_DAYS,
    });
    await this.mail.queue(tx.manager, {
      kind: 'email_confirmation',
      to: user.email,
      userId: user.id,
      ...rendered,
    });
    tx.afterCommit(() => this.mail.wake());
  }

  /** Sends the link again while the address is unconfirmed; false when it is confirmed. */
  async resend(user: User): Promise<boolean> {
    if (user.emailConfirmedAt) {
      return false;
    }
    await this.transactions.run((tx) => this.send(tx, user));
    return true;
  }

  /**
   * Opens a link: the account and address it confirmed (or that already were), or null for
   * an unknown, expired or used link and for one sent to an address the account no longer
   * holds. Works without a login: the link is the proof.
   */
  async confirm(link: unknown): Promise<ConfirmedAddress | null> {
    const token = await this.tokens.find(link, 'email_confirmation');
    if (!token) {
      return null;
    }
    const confirmed = { userId: token.userId, email: token.email };
    return this.transactions.run(async ({ manager }) => {
      const [user] = await this.users.lockAllForUpdate(manager, [token.userId]);
      if (user.email !== token.email) {
        return null;
      }
      if (user.emailConfirmedAt) {
        return confirmed;
      }
      const now = new Date();
      if (!(await this.tokens.consume(manager, token.id, now))) {
        return null;
      }
      await this.accounts.markEmailConfirmed(manager, user.id, now);
      return confirmed;
    });
  }
}
