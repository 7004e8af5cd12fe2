import { INestApplication } from '@nestjs/common';
import { AUTH_COOKIE } from '../../src/auth/auth-cookie';
import { AuthService } from '../../src/auth/auth.service';
import { hashPassword } from '../../src/auth/passwords';
import { Role, User } from '../../src/users/user.entity';
import { UsersService } from '../../src/users/users.service';

export const DEFAULT_PASSWORD = 'correct horse battery';

let cachedHash: Promise<string> | undefined;

/** A stored user; every factory user shares one password hash to keep tests fast. */
export async function createUser(
  app: INestApplication,
  username: string,
  options: { role?: Role; email?: string } = {},
): Promise<User> {
  cachedHash ??= hashPassword(DEFAULT_PASSWORD);
  return app.get(UsersService).create({
    username,
    email: options.email ?? `${username.toLowerCase()}@example.com`,
    passwordHash: await cachedHash,
    role: options.role,
  });
}

/** The auth cookie a browser of `user` would send. */
export async function authCookieFor(app: INestApplication, user: User): Promise<string> {
  const { token } = await app.get(AuthService).issueToken(user, false);
  return `${AUTH_COOKIE}=${token}`;
}
