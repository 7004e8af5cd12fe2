import { UNSUBSCRIBE_SCOPES, UnsubscribeLinks, unsubscribePath } from './unsubscribe-links';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe(UnsubscribeLinks.name, () => {
  const sut = new UnsubscribeLinks(SECRET);

  it.each(UNSUBSCRIBE_SCOPES)('should give back the claim of its own token (scope %s)', (scope) => {
    const token = sut.token({ userId: 42, scope });
    expect(sut.verify(token)).toEqual({ userId: 42, scope });
  });

  it('should make tokens that fit in a URL path segment as they are', () => {
    const token = sut.token({ userId: 7, scope: 'all' });
    expect(token).toMatch(/^7\.all\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(unsubscribePath(token)).toBe(`/unsubscribe/${token}`);
  });

  it('should refuse a token whose user id or scope was changed', () => {
    const [, , signature] = sut.token({ userId: 42, scope: 'messages' }).split('.');
    expect(sut.verify(`43.messages.${signature}`)).toBeNull();
    expect(sut.verify(`42.all.${signature}`)).toBeNull();
    expect(sut.verify(`042.messages.${signature}`)).toBeNull();
  });

  it('should refuse a token with any one character of its signature changed', () => {
    const token = sut.token({ userId: 42, scope: 'all' });
    const signatureStart = token.lastIndexOf('.') + 1;
    const refused = [];
    for (let i = signatureStart; i < token.length; i++) {
      const changed = token[i] === 'A' ? 'B' : 'A';
      refused.push(sut.verify(token.slice(0, i) + changed + token.slice(i + 1)));
    }
    expect(refused.every((claim) => claim === null)).toBe(true);
  });

  it('should refuse a token signed with another secret', () => {
    const other = new UnsubscribeLinks(`${SECRET}-other`);
    expect(sut.verify(other.token({ userId: 42, scope: 'all' }))).toBeNull();
  });

  it('should sign with a key of its own, not the secret itself', async () => {
    const { createHmac } = await import('node:crypto');
    const withSecret = createHmac('sha256', SECRET).update('42.all').digest('base64url');
    expect(sut.verify(`42.all.${withSecret}`)).toBeNull();
  });

  it.each([
    ['nothing', ''],
    ['no signature', '42.all'],
    ['an unknown scope', '42.everything.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['user id 0', '0.all.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a short signature', '42.all.AAAA'],
    ['a padded signature', '42.all.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['a very long token', `42.all.${'A'.repeat(10_000)}`],
    ['an array', ['42.all.x']],
    ['a number', 42],
    ['null', null],
  ])('should refuse %s without throwing', (_name, token) => {
    expect(sut.verify(token)).toBeNull();
  });
});
