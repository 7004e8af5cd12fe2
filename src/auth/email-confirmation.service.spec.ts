import { TransactionService } from '../database/transaction.service';
import { EmailTemplates } from '../mail/email-templates.service';
import { MailService } from '../mail/mail.service';
import { AccountsService } from '../users/accounts.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { EmailToken } from './email-token.entity';
import { EmailConfirmationService } from './email-confirmation.service';
import { EmailTokensService } from './email-tokens.service';

function setup(user: Partial<User>, token: Partial<EmailToken> | null, consumed = true) {
  const tx = { manager: {}, afterCommit: (callback: () => void) => callback() };
  const transactions = { run: jest.fn((work: (t: typeof tx) => unknown) => work(tx)) };
  const accounts = { markEmailConfirmed: jest.fn(() => Promise.resolve()) };
  const users = {
    lockAllForUpdate: jest.fn(() =>
      Promise.resolve([Object.assign(new User(), { id: 7, email: 'susan@example.com', ...user })]),
    ),
  };
  const tokens = {
    find: jest.fn(() =>
      Promise.resolve(
        token &&
          Object.assign(new EmailToken(), {
            id: 3,
            userId: 7,
            email: 'susan@example.com',
            ...token,
          }),
      ),
    ),
    consume: jest.fn(() => Promise.resolve(consumed)),
    issue: jest.fn(() => Promise.resolve('the-token')),
  };
  const mail = {
    link: (path: string) => `https://microblog.example${path}`,
    queue: jest.fn(() => Promise.resolve()),
    wake: jest.fn(),
  };
  const templates = { render: jest.fn(() => ({ subject: 's', text: 't', html: 'h' })) };
  const sut = new EmailConfirmationService(
    accounts as unknown as AccountsService,
    users as unknown as UsersService,
    tokens as unknown as EmailTokensService,
    transactions as unknown as TransactionService,
    mail as unknown as MailService,
    templates as unknown as EmailTemplates,
  );
  return { sut, accounts, tokens, mail, templates };
}

describe(EmailConfirmationService.name, () => {
  it('should confirm the address a live link went to, using the link up', async () => {
    const { sut, accounts, tokens } = setup({ emailConfirmedAt: null }, {});
    await expect(sut.confirm('x')).resolves.toEqual({ userId: 7, email: 'susan@example.com' });
    expect(tokens.consume).toHaveBeenCalledWith(expect.anything(), 3, expect.any(Date));
    expect(accounts.markEmailConfirmed).toHaveBeenCalledWith(
      expect.anything(),
      7,
      expect.any(Date),
    );
  });

  it('should refuse a link sent to an address the account no longer has', async () => {
    const { sut, tokens, accounts } = setup({ email: 'new@example.com' }, {});
    await expect(sut.confirm('x')).resolves.toBeNull();
    expect(tokens.consume).not.toHaveBeenCalled();
    expect(accounts.markEmailConfirmed).not.toHaveBeenCalled();
  });

  it('should say an address that is already confirmed is, and keep the moment it was', async () => {
    const { sut, tokens, accounts } = setup({ emailConfirmedAt: new Date() }, {});
    await expect(sut.confirm('x')).resolves.not.toBeNull();
    expect(tokens.consume).not.toHaveBeenCalled();
    expect(accounts.markEmailConfirmed).not.toHaveBeenCalled();
  });

  it('should refuse an unknown, used or expired link', async () => {
    await expect(setup({}, null).sut.confirm('x')).resolves.toBeNull();
    const spent = setup({ emailConfirmedAt: null }, {}, false);
    await expect(spent.sut.confirm('x')).resolves.toBeNull();
    expect(spent.accounts.markEmailConfirmed).not.toHaveBeenCalled();
  });

  it("should send the link in the account's language, to its current address", async () => {
    const { sut, templates, mail } = setup({}, null);
    const tx = { manager: {}, afterCommit: (callback: () => void) => callback() };
    await sut.send(tx as never, {
      id: 7,
      email: 'susan@new.example',
      username: 'susan',
      language: 'ru',
    });
    expect(templates.render).toHaveBeenCalledWith('email-confirmation', 'ru', {
      username: 'susan',
      email: 'susan@new.example',
      link: 'https://microblog.example/auth/confirm_email/the-token',
      days: 7,
    });
    expect(mail.queue).toHaveBeenCalledWith(
      {},
      expect.objectContaining({ kind: 'email_confirmation', to: 'susan@new.example', userId: 7 }),
    );
    expect(mail.wake).toHaveBeenCalled();
  });

  it('should not resend to a confirmed address', async () => {
    const { sut, mail } = setup({}, null);
    await expect(
      sut.resend(Object.assign(new User(), { emailConfirmedAt: new Date() })),
    ).resolves.toBe(false);
    expect(mail.queue).not.toHaveBeenCalled();
  });
});
