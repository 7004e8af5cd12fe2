import { Repository } from 'typeorm';
import { EmailToken } from './email-token.entity';
import { EmailTokensService, hashToken } from './email-tokens.service';

describe(EmailTokensService.name, () => {
  const setup = () => {
    const repository = { findOneBy: jest.fn(() => Promise.resolve(null)) };
    const sut = new EmailTokensService(repository as unknown as Repository<EmailToken>);
    return { sut, repository };
  };
  const TOKEN = Buffer.alloc(32, 9).toString('base64url');

  it('should look a token up by its SHA-256 and purpose only', async () => {
    const { sut, repository } = setup();
    await expect(sut.find(TOKEN, 'password_reset')).resolves.toBeNull();
    expect(repository.findOneBy).toHaveBeenCalledWith({
      tokenHash: hashToken(TOKEN),
      purpose: 'password_reset',
    });
    expect(hashToken(TOKEN)).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['truncated', TOKEN.slice(1)],
    ['lengthened', `${TOKEN}A`],
    ['not base64url', `${TOKEN.slice(1)}+`],
    ['a NUL byte', `${TOKEN.slice(1)}\u0000`],
    ['empty', ''],
    ['not a string', ['x']],
    ['huge', 'A'.repeat(100_000)],
  ])('should answer a %s token without asking the database', async (_name, token) => {
    const { sut, repository } = setup();
    await expect(sut.find(token, 'email_confirmation')).resolves.toBeNull();
    expect(repository.findOneBy).not.toHaveBeenCalled();
  });

  it('should call a token live while unused and before it expires', () => {
    const { sut } = setup();
    const now = new Date('2026-12-07T12:00:00Z');
    const token = (changes: Partial<EmailToken>) =>
      Object.assign(new EmailToken(), {
        usedAt: null,
        expiresAt: new Date(now.getTime() + 1),
        ...changes,
      });
    expect(sut.isLive(token({}), now)).toBe(true);
    expect(sut.isLive(token({ expiresAt: now }), now)).toBe(false);
    expect(sut.isLive(token({ usedAt: now }), now)).toBe(false);
  });
});
