/** Code points the column holds. */
export const USERNAME_MAX = 64;

/**
 * Names that are, or could become, paths of the site's own (/auth, /api, /static, ...) or
 * that pose as the site itself. A profile lives at /user/<name>, but a name also appears
 * alone in links and in messages, where "admin" or "notifications" would mislead.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  'about',
  'admin',
  'administrator',
  'api',
  'assets',
  'auth',
  'avatars',
  'conversations',
  'docs',
  'edit_profile',
  'explore',
  'favicon.ico',
  'health',
  'help',
  'index',
  'login',
  'logout',
  'me',
  'messages',
  'metrics',
  'moderator',
  'new',
  'notifications',
  'register',
  'robots.txt',
  'search',
  'send_message',
  'settings',
  'static',
  'status',
  'stream',
  'support',
  'system',
  'user',
  'users',
  'vendor',
]);

/** Letters, digits, dot, dash, underscore: names appear in URLs and compare alike everywhere. */
const USERNAME_CHARS = /^[A-Za-z0-9_.-]+$/;

/** The i18n key (validation namespace) of what is wrong with a username, if anything. */
export type UsernameProblem =
  | 'validation.required'
  | 'validation.too_long'
  | 'validation.username_chars'
  | 'validation.username_reserved';

/**
 * The one spelling of a typed username that is stored and looked up: Unicode NFC, so the
 * same visible name typed on two keyboards (precomposed or combining accents) is one name.
 */
export function normaliseUsername(raw: string): string {
  return raw.normalize('NFC');
}

/**
 * What makes a (normalised) username unacceptable, or null. "." and ".." are path segments
 * (/user/.. is another page), so a name made only of dots is refused with the reserved
 * names; the comparison ignores case, as uniqueness does.
 */
export function usernameProblem(username: string): UsernameProblem | null {
  if (username.trim().length === 0) {
    return 'validation.required';
  }
  if ([...username].length > USERNAME_MAX) {
    return 'validation.too_long';
  }
  if (!USERNAME_CHARS.test(username)) {
    return 'validation.username_chars';
  }
  if (/^\.+$/.test(username) || RESERVED_USERNAMES.has(username.toLowerCase())) {
    return 'validation.username_reserved';
  }
  return null;
}

export type AccountFieldKey =
  UsernameProblem | 'validation.username_taken' | 'validation.email_taken';

/** The reasons in English, for the operator's CLI (forms show the translated key). */
const ACCOUNT_FIELD_REASONS: Record<AccountFieldKey, string> = {
  'validation.required': 'it is empty',
  'validation.too_long': 'it is too long',
  'validation.username_chars': 'use only letters, digits, dots, dashes and underscores',
  'validation.username_reserved': 'it is reserved',
  'validation.username_taken': 'another account has it (in any case)',
  'validation.email_taken': 'another account has it',
};

/** Why an account can't have this username or email; `key` is the form error (i18n). */
export class AccountFieldError extends Error {
  constructor(
    readonly field: 'username' | 'email',
    readonly key: AccountFieldKey,
    value: string,
  ) {
    super(`The ${field} "${value}" can't be used: ${ACCOUNT_FIELD_REASONS[key]}.`);
    this.name = AccountFieldError.name;
  }
}
