import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Not, QueryFailedError, Repository } from 'typeorm';
import { User } from './user.entity';
import { AccountFieldError } from './username';

/**
 * An account's credentials: its email address (and whether the user has confirmed it) and its
 * password. The writes take the caller's transaction, which also holds the token or the email
 * that goes with them.
 */
@Injectable()
export class AccountsService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** The account that holds this address, whatever its case (addresses are stored lower-cased). */
  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: email.trim().toLowerCase() });
  }

  /**
   * Gives the user a new address, not confirmed yet. Throws AccountFieldError when another
   * account holds it: checked first for a clear answer, the unique index settles a race.
   */
  async changeEmail(manager: EntityManager, userId: number, email: string): Promise<void> {
    const address = email.toLowerCase();
    const users = manager.getRepository(User);
    const taken = () => new AccountFieldError('email', 'validation.email_taken', address);
    if (await users.existsBy({ email: address, id: Not(userId) })) {
      throw taken();
    }
    try {
      await users.update(userId, { email: address, emailConfirmedAt: null });
    } catch (error) {
      if (error instanceof QueryFailedError && /unique|duplicate/i.test(error.message)) {
        throw taken();
      }
      throw error;
    }
  }

  /** The address the user holds now is theirs: they opened the link sent to it. */
  async markEmailConfirmed(manager: EntityManager, userId: number, at: Date): Promise<void> {
    await manager.getRepository(User).update(userId, { emailConfirmedAt: at });
  }

  /** A new password: reset links made before `at` stop working (see EmailToken). */
  async setPassword(
    manager: EntityManager,
    userId: number,
    passwordHash: string,
    at: Date,
  ): Promise<void> {
    await manager.getRepository(User).update(userId, { passwordHash, passwordChangedAt: at });
  }
}
