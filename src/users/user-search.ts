import { Repository, SelectQueryBuilder } from 'typeorm';
import { User } from './user.entity';
import { USERNAME_MAX } from './username';

/** A lower-case term made only of characters a username can hold. */
const USERNAME_PREFIX = /^[a-z0-9_.-]+$/;

/**
 * The explore search box's term as the page shows it and its links carry it: text only (a
 * repeated ?q= is no term), without control characters or lone surrogates, trimmed, and at
 * most USERNAME_MAX characters, as no username is longer.
 */
export function searchTerm(raw: unknown): string {
  if (typeof raw !== 'string') {
    return '';
  }
  const clean = raw.replace(/[\p{Cc}\p{Cs}]/gu, '').trim();
  return [...clean].slice(0, USERNAME_MAX).join('').trim();
}

/**
 * The term as a prefix of username_lower, or null when no username can start with it:
 * usernames are ASCII letters, digits and "._-", so anything else matches nothing.
 */
export function usernamePrefix(term: string): string | null {
  const prefix = term.toLowerCase();
  return USERNAME_PREFIX.test(prefix) ? prefix : null;
}

/**
 * The least string after every string that starts with `prefix`, in code point order ("al"
 * -> "am"): `prefix <= s < bound` is "s starts with prefix". For the username alphabet,
 * whose last character is never the highest code point.
 */
export function prefixUpperBound(prefix: string): string {
  const chars = [...prefix];
  const last = chars.pop();
  if (last === undefined) {
    throw new RangeError('an empty prefix has no upper bound');
  }
  return chars.join('') + String.fromCodePoint((last.codePointAt(0) as number) + 1);
}

/** `prefix` as a LIKE pattern, "!" escaping the wildcards (backslash differs by database). */
export function likePrefixPattern(prefix: string): string {
  return `${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * Users whose username_lower starts with `prefix` (see usernamePrefix), by name, read through
 * the unique index on username_lower. SQLite uses that index for a range but not for LIKE
 * (its LIKE ignores case, the index is BINARY). MariaDB's utf8mb4_unicode_ci column sorts
 * ":" before "9" and "{" before "z", so a code point range would miss "k9…" and "zz…"; there
 * LIKE 'al%' is the index range scan.
 */
export function prefixSearchQuery(
  users: Repository<User>,
  prefix: string,
): SelectQueryBuilder<User> {
  const query = users.createQueryBuilder('u').orderBy('u.usernameLower', 'ASC');
  if (users.manager.connection.options.type === 'better-sqlite3') {
    return query.where('u.username_lower >= :from AND u.username_lower < :to', {
      from: prefix,
      to: prefixUpperBound(prefix),
    });
  }
  return query.where("u.username_lower LIKE :pattern ESCAPE '!'", {
    pattern: likePrefixPattern(prefix),
  });
}
