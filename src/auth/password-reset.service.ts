import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { TransactionService } from '../database/transaction.service';
import { EmailTemplates } from '../mail/email-templates.service';
import { MailService } from '../mail/mail.service';
import { AccountsService } from '../users/accounts.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { EmailToken } from './email-token.entity';
import { EmailTokensService } from './email-tokens.service';
import { hashPassword } from './passwords';
import { Session } from './session.entity';
import { SessionsService } from './sessions.service';

/** A reset link works for this long after it was made. */
export const RESET_LINK_MINUTES = 30;

/** A reset link that can still set a password, and whose account it is. */
export interface UsableReset {
  token: EmailToken;
  user: User;
}

/**
 * "Forgot your password?": a single-use link by email, and the new password it sets.
 *
 * A link sets a password only while its token is unused and unexpired, its account is enabled,
 * still holds the address the link went to, and has not changed its password since the link
 * was made. Setting the password uses the token up in the same transaction (a conditional
 * UPDATE: one of two concurrent submits wins), revokes the account's other reset links and
 * ends every session of the account.
 */
@Injectable()
export class PasswordResetService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PasswordResetService.name);
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly accounts: AccountsService,
    private readonly users: UsersService,
    private readonly tokens: EmailTokensService,
    private readonly sessions: SessionsService,
    private readonly transactions: TransactionService,
    private readonly mail: MailService,
    private readonly templates: EmailTemplates,
  ) {}

  /**
   * Sends a reset link to the account that holds `email`, if there is one and it is enabled.
   * The lookup and the work happen after the caller has answered, so the answer and the time
   * it takes are the same whether or not the address has an account.
   */
  request(email: string): void {
    const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.sendLink(email))
      .catch((error: unknown) =>
        this.logger.error(`A password reset email was not queued: ${String(error)}`),
      )
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Resolves once the requests made so far are done (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  /** The reset a link names, if it can still set a password; null otherwise. */
  async check(link: unknown): Promise<UsableReset | null> {
    const token = await this.tokens.find(link, 'password_reset');
    if (!token || !this.tokens.isLive(token)) {
      return null;
    }
    const user = await this.users.findById(token.userId);
    return user && this.allows(token, user) ? { token, user } : null;
  }

  /**
   * Sets the new password, if the link still may (checked again under the user's row lock):
   * false when another request used it first or the account changed meanwhile.
   */
  async reset({ token }: UsableReset, password: string): Promise<boolean> {
    const passwordHash = await hashPassword(password);
    const done = await this.transactions.run(async ({ manager }) => {
      const [user] = await this.users.lockAllForUpdate(manager, [token.userId]);
      const now = new Date();
      if (!this.allows(token, user) || !(await this.tokens.consume(manager, token.id, now))) {
        return false;
      }
      await this.accounts.setPassword(manager, user.id, passwordHash, now);
      await this.tokens.revokeAll(manager, user.id, 'password_reset', now);
      // Gone with the password it was proved by; endAll below tells the open streams.
      await manager.getRepository(Session).delete({ userId: user.id });
      return true;
    });
    if (done) {
      await this.sessions.endAll(token.userId);
    }
    return done;
  }

  private allows(token: EmailToken, user: User): boolean {
    return (
      !user.disabled &&
      user.email === token.email &&
      (user.passwordChangedAt === null ||
        user.passwordChangedAt.getTime() <= token.createdAt.getTime())
    );
  }

  private async sendLink(email: string): Promise<void> {
    const user = await this.accounts.findByEmail(email);
    if (!user || user.disabled) {
      return;
    }
    await this.transactions.run(async (tx) => {
      const token = await this.tokens.issue(
        tx.manager,
        user,
        'password_reset',
        RESET_LINK_MINUTES * 60_000,
      );
      const rendered = this.templates.render('password-reset', user.language, {
        username: user.username,
        link: this.mail.link(`/auth/reset_password/${token}`),
        minutes: RESET_LINK_MINUTES,
      });
      await this.mail.queue(tx.manager, {
        kind: 'password_reset',
        to: user.email,
        userId: user.id,
        ...rendered,
      });
      tx.afterCommit(() => this.mail.wake());
    });
  }
}
