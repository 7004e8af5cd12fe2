import { TransactionService } from '../database/transaction.service';
import { EmailTemplates } from '../mail/email-templates.service';
import { MailService } from '../mail/mail.service';
import { AccountsService } from '../users/accounts.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { EmailToken } from './email-token.entity';
import { EmailTokensService } from './email-tokens.service';
import { PasswordResetService } from './password-reset.service';
import { SessionsService } from './sessions.service';

const MADE = new Date('2026-12-07T12:00:00Z');

function account(changes: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: 7,
    username: 'susan',
    email: 'susan@example.com',
    language: 'es',
    disabled: false,
    passwordChangedAt: null,
    ...changes,
  });
}

function link(changes: Partial<EmailToken> = {}): EmailToken {
  return Object.assign(new EmailToken(), {
    id: 3,
    userId: 7,
    purpose: 'password_reset',
    email: 'susan@example.com',
    createdAt: MADE,
    expiresAt: new Date(Date.now() + 60_000),
    usedAt: null,
    ...changes,
  });
}

function setup(user: User | null, token: EmailToken | null, consumed = true) {
  const manager = { getRepository: () => ({ delete: jest.fn(() => Promise.resolve()) }) };
  const tx = { manager, afterCommit: (callback: () => void) => callback() };
  const transactions = { run: jest.fn((work: (t: typeof tx) => unknown) => work(tx)) };
  const accounts = {
    findByEmail: jest.fn(() => Promise.resolve(user)),
    setPassword: jest.fn(() => Promise.resolve()),
  };
  const users = {
    findById: jest.fn(() => Promise.resolve(user)),
    lockAllForUpdate: jest.fn(() => Promise.resolve([user])),
  };
  const real = new EmailTokensService({} as never);
  const tokens = {
    find: jest.fn(() => Promise.resolve(token)),
    isLive: (t: EmailToken) => real.isLive(t),
    issue: jest.fn(() => Promise.resolve('the-token')),
    consume: jest.fn(() => Promise.resolve(consumed)),
    revokeAll: jest.fn(() => Promise.resolve()),
  };
  const sessions = { endAll: jest.fn(() => Promise.resolve()) };
  const mail = {
    link: (path: string) => `https://microblog.example${path}`,
    queue: jest.fn(() => Promise.resolve()),
    wake: jest.fn(),
  };
  const templates = {
    render: jest.fn(() => ({ subject: 's', text: 't', html: 'h' })),
  };
  const sut = new PasswordResetService(
    accounts as unknown as AccountsService,
    users as unknown as UsersService,
    tokens as unknown as EmailTokensService,
    sessions as unknown as SessionsService,
    transactions as unknown as TransactionService,
    mail as unknown as MailService,
    templates as unknown as EmailTemplates,
  );
  return { sut, accounts, tokens, sessions, mail, templates, transactions };
}

describe(PasswordResetService.name, () => {
  describe('check', () => {
    it('should accept a live link of an enabled account that still has its address', async () => {
      const { sut } = setup(account(), link());
      await expect(sut.check('x')).resolves.toMatchObject({ user: { id: 7 }, token: { id: 3 } });
    });

    it.each([
      ['unknown', account(), null],
      ['used', account(), link({ usedAt: new Date() })],
      ['expired', account(), link({ expiresAt: new Date(Date.now() - 1) })],
      ['of a disabled account', account({ disabled: true }), link()],
      [
        'sent to an address the account no longer has',
        account({ email: 'new@example.com' }),
        link(),
      ],
      [
        'made before the password changed',
        account({ passwordChangedAt: new Date(MADE.getTime() + 1) }),
        link(),
      ],
      ['of a deleted account', null, link()],
    ])('should refuse a link %s', async (_name, user, token) => {
      const { sut } = setup(user, token);
      await expect(sut.check('x')).resolves.toBeNull();
    });

    it('should accept a link made after the last password change', async () => {
      const { sut } = setup(account({ passwordChangedAt: new Date(MADE.getTime() - 1) }), link());
      await expect(sut.check('x')).resolves.not.toBeNull();
    });
  });

  describe('request', () => {
    it("should queue a link in the account's language, to its address", async () => {
      const { sut, mail, templates } = setup(account(), null);
      sut.request('Susan@Example.com');
      await sut.idle();
      expect(templates.render).toHaveBeenCalledWith('password-reset', 'es', {
        username: 'susan',
        link: 'https://microblog.example/auth/reset_password/the-token',
        minutes: 30,
      });
      expect(mail.queue).toHaveBeenCalledWith(
        expect.anything(),
        expect.objectContaining({ kind: 'password_reset', to: 'susan@example.com', userId: 7 }),
      );
      expect(mail.wake).toHaveBeenCalled();
    });

    it.each([
      ['no account has the address', null],
      ['the account is disabled', account({ disabled: true })],
    ])('should send nothing when %s', async (_name, user) => {
      const { sut, transactions, mail } = setup(user, null);
      sut.request('nobody@example.com');
      await sut.idle();
      expect(transactions.run).not.toHaveBeenCalled();
      expect(mail.queue).not.toHaveBeenCalled();
    });

    it('should answer before it looks anything up', async () => {
      const { sut, accounts } = setup(account(), null);
      sut.request('susan@example.com');
      expect(accounts.findByEmail).not.toHaveBeenCalled();
      await sut.idle();
      expect(accounts.findByEmail).toHaveBeenCalledWith('susan@example.com');
    });
  });

  describe('reset', () => {
    it('should set the password, revoke the other links and end every session', async () => {
      const { sut, accounts, tokens, sessions } = setup(account(), link());
      const reset = (await sut.check('x'))!;
      await expect(sut.reset(reset, 'a new password')).resolves.toBe(true);
      expect(accounts.setPassword).toHaveBeenCalledWith(
        expect.anything(),
        7,
        expect.stringMatching(/^\$argon2id\$/),
        expect.any(Date),
      );
      expect(tokens.revokeAll).toHaveBeenCalledWith(
        expect.anything(),
        7,
        'password_reset',
        expect.any(Date),
      );
      expect(sessions.endAll).toHaveBeenCalledWith(7);
    });

    it('should change nothing when another request used the link first', async () => {
      const { sut, accounts, sessions } = setup(account(), link(), false);
      const reset = (await sut.check('x'))!;
      await expect(sut.reset(reset, 'a new password')).resolves.toBe(false);
      expect(accounts.setPassword).not.toHaveBeenCalled();
      expect(sessions.endAll).not.toHaveBeenCalled();
    });
  });
});
