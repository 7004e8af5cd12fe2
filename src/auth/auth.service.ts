import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { fieldError, FormErrors } from '../common/forms/validate-form';
import { AllConfigType } from '../config/config.type';
import { TransactionService } from '../database/transaction.service';
import { User } from '../users/user.entity';
import { AccountFieldError } from '../users/username';
import { UsersService } from '../users/users.service';
import { RegisterDto } from './dto/register.dto';
import { EmailConfirmationService } from './email-confirmation.service';
import { JwtPayload } from './jwt.strategy';
import { hashPassword, verifyPassword } from './passwords';
import { SessionsService } from './sessions.service';

export interface IssuedToken {
  token: string;
  /** Cookie life for "remember me"; undefined means a browser-session cookie. */
  cookieMaxAgeMs?: number;
  expiresInSeconds: number;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "30d", "12h", "900" -> seconds. */
export function durationSeconds(value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!match) {
    throw new Error(`Invalid duration "${value}": use e.g. 900, 15m, 12h or 30d`);
  }
  return Number(match[1]) * DURATION_UNITS[match[2] || 's'];
}

@Injectable()
export class AuthService {
  // Checked when the username is unknown, so a wrong name costs as long as a wrong password.
  private readonly dummyHash = hashPassword('timing-equaliser');

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly jwt: JwtService,
    private readonly config: ConfigService<AllConfigType, true>,
    private readonly transactions: TransactionService,
    private readonly confirmations: EmailConfirmationService,
  ) {}

  /**
   * Creates the account, in `language` (the page's: it decides the language of the account's
   * emails), with the link that confirms its address queued in the same transaction; or
   * returns the errors to show next to the fields.
   */
  async register(form: RegisterDto, language: string): Promise<FormErrors<RegisterDto> | null> {
    const usernameError = await this.users.usernameError(form.username);
    if (usernameError) {
      return fieldError<RegisterDto>('username', usernameError);
    }
    const passwordHash = await hashPassword(form.password);
    // A registered address gets the same answer as a new account, after the same hashing
    // work: the form does not tell anyone whether an address has an account.
    if (await this.users.isEmailTaken(form.email)) {
      return null;
    }
    try {
      await this.transactions.run(async (tx) => {
        const user = await this.users.create(
          { username: form.username, email: form.email, passwordHash, language },
          tx.manager,
        );
        await this.confirmations.send(tx, user);
      });
      return null;
    } catch (error) {
      // Registrations that raced past the checks above: the unique indexes settled it.
      if (error instanceof AccountFieldError) {
        return error.field === 'email' ? null : fieldError<RegisterDto>(error.field, error.key);
      }
      throw error;
    }
  }

  async authenticate(username: string, password: string): Promise<User | null> {
    const user = await this.users.findByUsername(username);
    if (!user) {
      await verifyPassword(await this.dummyHash, password);
      return null;
    }
    const valid = await verifyPassword(user.passwordHash, password);
    return valid && !user.disabled ? user : null;
  }

  async issueToken(user: User, remember: boolean): Promise<IssuedToken> {
    const auth = this.config.getOrThrow('auth', { infer: true });
    const expiresInSeconds = durationSeconds(remember ? auth.rememberExpiresIn : auth.expiresIn);
    const sid = await this.sessions.start(user.id, expiresInSeconds);
    const payload: JwtPayload = { sub: user.id, sid };
    const token = await this.jwt.signAsync(payload, { expiresIn: expiresInSeconds });
    return {
      token,
      expiresInSeconds,
      cookieMaxAgeMs: remember ? expiresInSeconds * 1000 : undefined,
    };
  }
}
