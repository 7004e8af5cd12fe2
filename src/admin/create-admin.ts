import { hashPassword } from '../auth/passwords';
import { Role } from '../users/user.entity';
import { UsersService } from '../users/users.service';

export const USAGE = `Usage:
  npm run cli -- create-admin <username>                              promote an existing user
  npm run cli -- create-admin <username> --email <e> --password <p>   create an admin account`;

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

/** `create-admin <username> [--email e --password p]`: promote a user, or create an admin. */
export async function createAdmin(users: UsersService, args: string[]): Promise<string> {
  const username = args[0];
  if (!username || username.startsWith('--')) {
    throw new Error(USAGE);
  }
  const existing = await users.findByUsername(username);
  if (existing) {
    await users.setRole(existing, Role.Admin);
    return `${existing.username} is now an admin.`;
  }
  const email = option(args, 'email');
  const password = option(args, 'password');
  if (!email || !password || password.length < 8) {
    throw new Error(
      `There is no user "${username}". To create one, give --email and --password (8+ characters).\n${USAGE}`,
    );
  }
  if (await users.isEmailTaken(email)) {
    throw new Error(`The email ${email} is already used by another account.`);
  }
  const admin = await users.create({
    username,
    email,
    passwordHash: await hashPassword(password),
    role: Role.Admin,
  });
  return `Created the admin account ${admin.username}.`;
}
