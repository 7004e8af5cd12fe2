import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an unsubscribe link turns off: every notification email, or one kind of it. */
export const UNSUBSCRIBE_SCOPES = [
  'all',
  'follows',
  'mentions',
  'messages',
  'announcements',
] as const;
export type UnsubscribeScope = (typeof UNSUBSCRIBE_SCOPES)[number];

export interface UnsubscribeClaim {
  userId: number;
  scope: UnsubscribeScope;
}

/** `<user id>.<scope>.<signature>`: the signature is 32 bytes of HMAC-SHA256 in base64url. */
const TOKEN = new RegExp(
  `^([1-9][0-9]{0,9})\\.(${UNSUBSCRIBE_SCOPES.join('|')})\\.([A-Za-z0-9_-]{43})$`,
);

/**
 * Signed unsubscribe links (RFC 8058 one-click): a mail client posts to them with no cookies, so
 * the link itself is the proof that it came from an email sent to the account. The key is
 * derived from JWT_SECRET with a purpose label of its own, so no token of another kind (a JWT, a
 * CSRF token) is ever a valid unsubscribe link. Links do not expire: an old email's link keeps
 * working, and changing JWT_SECRET revokes them all.
 */
export class UnsubscribeLinks {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('unsubscribe').digest();
  }

  token(claim: UnsubscribeClaim): string {
    return `${claim.userId}.${claim.scope}.${this.signature(claim).toString('base64url')}`;
  }

  /** The claim a token makes, or null when it is malformed, altered or signed with another key. */
  verify(token: unknown): UnsubscribeClaim | null {
    const match = typeof token === 'string' ? TOKEN.exec(token) : null;
    if (!match) {
      return null;
    }
    const claim = { userId: Number(match[1]), scope: match[2] as UnsubscribeScope };
    const given = Buffer.from(match[3], 'base64url');
    const expected = this.signature(claim);
    // Base64url has more than one spelling of the last character's spare bits: compare bytes,
    // then the spelling, so exactly one token is valid per claim.
    const valid =
      given.length === expected.length &&
      timingSafeEqual(given, expected) &&
      given.toString('base64url') === match[3];
    return valid ? claim : null;
  }

  private signature(claim: UnsubscribeClaim): Buffer {
    return createHmac('sha256', this.key).update(`${claim.userId}.${claim.scope}`).digest();
  }
}

/** The page of an unsubscribe link (and the URL a one-click POST goes to). */
export function unsubscribePath(token: string): string {
  return `/unsubscribe/${token}`;
}
