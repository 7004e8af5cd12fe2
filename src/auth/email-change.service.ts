import { Injectable } from '@nestjs/common';
import { fieldError, FormErrors } from '../common/forms/validate-form';
import { TransactionService } from '../database/transaction.service';
import { AccountsService } from '../users/accounts.service';
import { User } from '../users/user.entity';
import { AccountFieldError } from '../users/username';
import { ChangeEmailDto } from './dto/change-email.dto';
import { EmailConfirmationService } from './email-confirmation.service';
import { EmailTokensService } from './email-tokens.service';
import { verifyPassword } from './passwords';

/**
 * A new email address for an account. Only the current password asks for it; the new
 * address is stored unconfirmed and gets a confirmation link, and the links sent to the old
 * one stop working. Whether another account holds the address is answered only after the
 * password checked out (and the route is rate-limited per client address, as registration is).
 */
@Injectable()
export class EmailChangeService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly tokens: EmailTokensService,
    private readonly confirmations: EmailConfirmationService,
    private readonly transactions: TransactionService,
  ) {}

  /** Changes the address, or returns the errors to show next to the fields. */
  async change(user: User, form: ChangeEmailDto): Promise<FormErrors<ChangeEmailDto> | null> {
    if (!(await verifyPassword(user.passwordHash, form.current_password))) {
      return fieldError<ChangeEmailDto>('current_password', 'account.wrong_password');
    }
    const email = form.email.toLowerCase();
    if (email === user.email) {
      return fieldError<ChangeEmailDto>('email', 'account.email_unchanged');
    }
    try {
      await this.transactions.run(async (tx) => {
        await this.accounts.changeEmail(tx.manager, user.id, email);
        await this.tokens.revokeAll(tx.manager, user.id, 'email_confirmation', new Date());
        await this.confirmations.send(tx, { ...user, email });
      });
    } catch (error) {
      if (error instanceof AccountFieldError) {
        return fieldError<ChangeEmailDto>('email', error.key);
      }
      throw error;
    }
    return null;
  }
}
