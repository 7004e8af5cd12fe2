import type { User } from '../users/user.entity';

/** The kinds a digest tells of, each chosen "also by email" on the settings page. */
export type DigestKind = 'messages' | 'follows' | 'mentions' | 'announcements';

/**
 * Items stamped this close to the run wait for the next one: a writer stamps an item before it
 * commits, so an item stamped just before the cutoff may not be visible yet, and a cursor moved
 * past it would skip it for good.
 */
export const SETTLE_MS = 2_000;

/** What a digest lists of each kind at most; the counts cover everything. */
export const SHOWN = { senders: 10, followers: 10, mentions: 5, announcements: 5 } as const;

const EPOCH = new Date(0);

/** The rules of "due": the period (EMAIL_DIGEST_AFTER) and the moment of the run. */
export interface DigestClock {
  now: Date;
  afterMs: number;
}

/**
 * The items a digest may tell of: unread messages stamped after the cursor, notification
 * center lines after the cursor and after the user last opened the center, none after `until`.
 */
export interface DigestWindow {
  messagesAfter: Date;
  notificationsAfter: Date;
  until: Date;
}

export interface Section<T> {
  /** Everything of the kind in the window (the items below may be fewer). */
  total: number;
  items: T[];
}

/** Unread messages from one sender. */
export interface SenderItem {
  username: string;
  count: number;
  latestAt: Date;
}

export interface FollowerItem {
  username: string;
  at: Date;
}

export interface MentionItem {
  author: string;
  body: string;
  at: Date;
}

export interface AnnouncementItem {
  text: string;
  at: Date;
}

/** Unread messages: `total` counts the messages, `senders` the people who sent them. */
export interface MessagesSection extends Section<SenderItem> {
  senders: number;
}

export interface DigestItems {
  messages: MessagesSection;
  follows: Section<FollowerItem>;
  mentions: Section<MentionItem>;
  announcements: Section<AnnouncementItem>;
}

const later = (a: Date | null, b: Date | null): Date | null =>
  a && b ? (a > b ? a : b) : (a ?? b);

/**
 * Whether a digest may go to `user` now: an enabled account with a confirmed address, not seen
 * for a period, and no digest within the last period. (Whether there is anything to tell is
 * the other half: see the items.)
 */
export function isDue(user: User, clock: DigestClock): boolean {
  const since = clock.now.getTime() - clock.afterMs;
  return (
    !user.disabled &&
    user.emailConfirmedAt !== null &&
    user.lastSeen.getTime() < since &&
    (user.digestSentAt === null || user.digestSentAt.getTime() < since)
  );
}

/** The window of the next digest of `user` at `now` (see DigestWindow). */
export function digestWindow(user: User, now: Date): DigestWindow {
  const until = new Date(now.getTime() - SETTLE_MS);
  return {
    messagesAfter: user.digestedUntil ?? EPOCH,
    notificationsAfter: later(user.digestedUntil, user.notificationsSeenAt) ?? EPOCH,
    until,
  };
}

/** The cursor after a digest of `window`: never moved back (a run with a slower clock). */
export function nextCursor(user: User, window: DigestWindow): Date {
  return later(user.digestedUntil, window.until) ?? window.until;
}

/**
 * The kinds `user` gets by email. Followers, mentions and announcements are lines of the
 * notification center, so they come "also by email" only while they reach the center; private
 * messages always reach the Messages badge.
 */
export function emailKinds(user: User): Set<DigestKind> {
  const kinds = new Set<DigestKind>();
  if (user.emailMessages) {
    kinds.add('messages');
  }
  if (user.emailFollows && user.notifyFollows) {
    kinds.add('follows');
  }
  if (user.emailMentions && user.notifyMentions) {
    kinds.add('mentions');
  }
  if (user.emailAnnouncements && user.notifyAnnouncements) {
    kinds.add('announcements');
  }
  return kinds;
}

export function emptySection<T>(): Section<T> {
  return { total: 0, items: [] };
}

export function isEmptyDigest(items: DigestItems): boolean {
  return notificationCount(items) === 0 && items.messages.total === 0;
}

/** The notification center lines a digest tells of (messages aside). */
export function notificationCount(items: DigestItems): number {
  return items.follows.total + items.mentions.total + items.announcements.total;
}

/**
 * Unread messages grouped by sender (rows of the grouped query), newest first, the first
 * SHOWN.senders of them listed; the total counts every message.
 */
export function messagesBySender(rows: SenderItem[]): MessagesSection {
  const sorted = [...rows].sort(
    (a, b) => b.latestAt.getTime() - a.latestAt.getTime() || a.username.localeCompare(b.username),
  );
  return {
    total: rows.reduce((sum, row) => sum + row.count, 0),
    senders: rows.length,
    items: sorted.slice(0, SHOWN.senders),
  };
}

/**
 * People named in a sentence: "alice", "alice and bob", "alice, bob and carol"; past `shown`
 * names the rest are counted ("alice, bob and 2 others"), in the language's own list style.
 */
export function namesList(
  names: string[],
  total: number,
  lang: string,
  others: (count: number) => string,
  shown = 2,
): string {
  const listed = total > shown + 1 ? names.slice(0, shown) : names.slice(0, total);
  const rest = total - listed.length;
  const parts = rest > 0 ? [...listed, others(rest)] : listed;
  return new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }).format(parts);
}

/** Links in a digest: absolute URLs (PUBLIC_URL + path). */
export interface DigestLinks {
  link: (path: string) => string;
  unsubscribeUrl: string;
}

/** The digest's templates' context (views/email/digest.*.hbs). */
export function digestView(
  user: Pick<User, 'username'>,
  items: DigestItems,
  lang: string,
  links: DigestLinks,
  others: (count: number) => string,
) {
  const { link } = links;
  const profile = (username: string) => link(`/user/${encodeURIComponent(username)}`);
  const more = (section: Section<unknown>) => section.total - section.items.length;
  const { messages, follows, mentions, announcements } = items;
  return {
    username: user.username,
    notificationCount: notificationCount(items),
    messages:
      messages.total === 0
        ? null
        : {
            count: messages.total,
            names: namesList(
              messages.items.map((s) => s.username),
              messages.senders,
              lang,
              others,
            ),
            senders: messages.items.map((s) => ({
              username: s.username,
              count: s.count,
              url: link(`/conversations/${encodeURIComponent(s.username)}`),
            })),
            moreSenders: messages.senders - messages.items.length,
            url: link('/conversations'),
          },
    follows:
      follows.total === 0
        ? null
        : {
            count: follows.total,
            names: namesList(
              follows.items.map((f) => f.username),
              follows.total,
              lang,
              others,
            ),
            followers: follows.items.map((f) => ({
              username: f.username,
              url: profile(f.username),
            })),
            more: more(follows),
            url: link(`/user/${encodeURIComponent(user.username)}/followers`),
          },
    mentions:
      mentions.total === 0
        ? null
        : {
            count: mentions.total,
            items: mentions.items.map((m) => ({ ...m, url: profile(m.author) })),
            more: more(mentions),
          },
    announcements:
      announcements.total === 0
        ? null
        : { count: announcements.total, items: announcements.items, more: more(announcements) },
    centerUrl: link('/notifications/center'),
    preferencesUrl: link('/edit_profile#notification-preferences'),
    unsubscribeUrl: links.unsubscribeUrl,
  };
}

export type DigestView = ReturnType<typeof digestView>;
