import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { User } from '../users/user.entity';
import { EmailToken, EmailTokenPurpose } from './email-token.entity';

/** 32 random bytes, base64url: the 43 characters of a link. */
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** What is stored of a token: its SHA-256, in hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The tokens of the links sent by email. The link holds the random token, the database only
 * its hash. A token works for one purpose, until it expires, once: `consume` is a conditional
 * UPDATE, so of two requests that race with the same link exactly one gets it.
 */
@Injectable()
export class EmailTokensService {
  constructor(@InjectRepository(EmailToken) private readonly tokens: Repository<EmailToken>) {}

  /**
   * A new token for the user's current address, stored in the caller's transaction; the
   * user's expired tokens go at the same time.
   */
  async issue(
    manager: EntityManager,
    user: Pick<User, 'id' | 'email'>,
    purpose: EmailTokenPurpose,
    lifetimeMs: number,
  ): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = new Date();
    const tokens = manager.getRepository(EmailToken);
    await tokens.delete({ userId: user.id, expiresAt: LessThan(now) });
    await tokens.insert({
      userId: user.id,
      purpose,
      tokenHash: hashToken(token),
      email: user.email,
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetimeMs),
      usedAt: null,
    });
    return token;
  }

  /**
   * The stored token a link names, for this purpose, used or not, expired or not; null for
   * anything else: a forged or truncated token, or one made for another purpose. Text that
   * can't be a token is not looked up.
   */
  find(token: unknown, purpose: EmailTokenPurpose): Promise<EmailToken | null> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) {
      return Promise.resolve(null);
    }
    return this.tokens.findOneBy({ tokenHash: hashToken(token), purpose });
  }

  /** Whether the token may still be used at `now`: not used and not expired. */
  isLive(token: EmailToken, now = new Date()): boolean {
    return token.usedAt === null && token.expiresAt.getTime() > now.getTime();
  }

  /**
   * Uses the token up, in the caller's transaction: true for the one caller that found it
   * unused and unexpired, false for everyone else (a second submit, a concurrent one).
   */
  async consume(manager: EntityManager, id: number, now: Date): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(EmailToken)
      .set({ usedAt: now })
      .where('id = :id AND used_at IS NULL AND expires_at > :now', { id, now })
      .execute();
    return result.affected === 1;
  }

  /** Every unused token of the user for `purpose` stops working. */
  async revokeAll(
    manager: EntityManager,
    userId: number,
    purpose: EmailTokenPurpose,
    now: Date,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(EmailToken)
      .set({ usedAt: now })
      .where('user_id = :userId AND purpose = :purpose AND used_at IS NULL', { userId, purpose })
      .execute();
  }
}
