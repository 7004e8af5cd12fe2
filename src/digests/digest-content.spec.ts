import { User } from '../users/user.entity';
import {
  DigestItems,
  digestView,
  digestWindow,
  emailKinds,
  emptySection,
  isDue,
  isEmptyDigest,
  messagesBySender,
  namesList,
  nextCursor,
  notificationCount,
  SETTLE_MS,
  SHOWN,
} from './digest-content';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-07T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** A user due for a digest, with the defaults of a new account's email choices. */
function user(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: 1,
    username: 'carol',
    disabled: false,
    emailConfirmedAt: ago(24 * HOUR),
    lastSeen: ago(2 * HOUR),
    digestSentAt: null,
    digestedUntil: null,
    notificationsSeenAt: null,
    notifyFollows: true,
    notifyMentions: true,
    notifyMessages: false,
    notifyAnnouncements: true,
    emailFollows: false,
    emailMentions: true,
    emailMessages: true,
    emailAnnouncements: false,
    ...overrides,
  });
}

const others = (count: number) => `${count} others`;

function items(overrides: Partial<DigestItems> = {}): DigestItems {
  return {
    messages: { ...emptySection(), senders: 0 },
    follows: emptySection(),
    mentions: emptySection(),
    announcements: emptySection(),
    ...overrides,
  };
}

describe('digest content', () => {
  describe(isDue.name, () => {
    const clock = { now: NOW, afterMs: HOUR };

    it('should be due for a confirmed, enabled user away for longer than the period', () => {
      expect(isDue(user(), clock)).toBe(true);
    });

    it.each([
      ['a disabled account', { disabled: true }],
      ['an address not confirmed', { emailConfirmedAt: null }],
      ['a user seen within the period', { lastSeen: ago(HOUR - 1) }],
      ['a user seen exactly a period ago', { lastSeen: ago(HOUR) }],
      ['a digest within the period', { digestSentAt: ago(HOUR - 1) }],
    ])('should not be due for %s', (_name, overrides: Partial<User>) => {
      expect(isDue(user(overrides), clock)).toBe(false);
    });

    it('should be due again once the last digest is a period old', () => {
      expect(isDue(user({ digestSentAt: ago(HOUR + 1) }), clock)).toBe(true);
    });
  });

  describe(digestWindow.name, () => {
    it('should take everything up to a settled cutoff for a user never digested', () => {
      expect(digestWindow(user(), NOW)).toEqual({
        messagesAfter: new Date(0),
        notificationsAfter: new Date(0),
        until: ago(SETTLE_MS),
      });
    });

    it('should start messages after the cursor, and notifications after the cursor or the last visit to the center', () => {
      const cursor = ago(3 * HOUR);
      expect(
        digestWindow(user({ digestedUntil: cursor, notificationsSeenAt: ago(4 * HOUR) }), NOW),
      ).toMatchObject({ messagesAfter: cursor, notificationsAfter: cursor });
      expect(
        digestWindow(user({ digestedUntil: cursor, notificationsSeenAt: ago(HOUR) }), NOW),
      ).toMatchObject({ messagesAfter: cursor, notificationsAfter: ago(HOUR) });
      expect(digestWindow(user({ notificationsSeenAt: ago(HOUR) }), NOW)).toMatchObject({
        messagesAfter: new Date(0),
        notificationsAfter: ago(HOUR),
      });
    });
  });

  describe(nextCursor.name, () => {
    it('should move the cursor to the end of the window, never back', () => {
      const window = digestWindow(user(), NOW);
      expect(nextCursor(user({ digestedUntil: ago(HOUR) }), window)).toEqual(window.until);
      expect(nextCursor(user({ digestedUntil: new Date(NOW.getTime() + HOUR) }), window)).toEqual(
        new Date(NOW.getTime() + HOUR),
      );
    });
  });

  describe(emailKinds.name, () => {
    it("should take a new account's defaults: messages and mentions", () => {
      expect([...emailKinds(user())].sort()).toEqual(['mentions', 'messages']);
    });

    it('should send center kinds by email only while they reach the center', () => {
      const all = { emailFollows: true, emailMentions: true, emailAnnouncements: true };
      expect([...emailKinds(user({ ...all, emailMessages: true }))].sort()).toEqual([
        'announcements',
        'follows',
        'mentions',
        'messages',
      ]);
      expect(
        [
          ...emailKinds(
            user({
              ...all,
              notifyFollows: false,
              notifyMentions: false,
              notifyAnnouncements: false,
            }),
          ),
        ].sort(),
      ).toEqual(['messages']);
    });

    it('should send messages by email whatever the center shows of them', () => {
      expect(emailKinds(user({ notifyMessages: false })).has('messages')).toBe(true);
      expect(emailKinds(user({ emailMessages: false, notifyMessages: true })).has('messages')).toBe(
        false,
      );
    });
  });

  describe(messagesBySender.name, () => {
    it('should count every message and list senders newest first', () => {
      const section = messagesBySender([
        { username: 'alice', count: 2, latestAt: ago(3 * HOUR) },
        { username: 'bob', count: 1, latestAt: ago(2 * HOUR) },
      ]);
      expect(section).toEqual({
        total: 3,
        senders: 2,
        items: [
          { username: 'bob', count: 1, latestAt: ago(2 * HOUR) },
          { username: 'alice', count: 2, latestAt: ago(3 * HOUR) },
        ],
      });
    });

    it(`should list at most ${SHOWN.senders} senders and count all of them`, () => {
      const rows = Array.from({ length: SHOWN.senders + 3 }, (_, i) => ({
        username: `u${i}`,
        count: 1,
        latestAt: ago(i * 1000),
      }));
      const section = messagesBySender(rows);
      expect([section.total, section.senders, section.items.length]).toEqual([
        SHOWN.senders + 3,
        SHOWN.senders + 3,
        SHOWN.senders,
      ]);
      expect(section.items[0].username).toBe('u0');
    });
  });

  describe(namesList.name, () => {
    it.each([
      ['en', ['alice'], 1, 'alice'],
      ['en', ['alice', 'bob'], 2, 'alice and bob'],
      ['en', ['alice', 'bob', 'carol'], 3, 'alice, bob, and carol'],
      ['en', ['alice', 'bob', 'carol', 'dave'], 4, 'alice, bob, and 2 others'],
      ['en', ['alice', 'bob'], 12, 'alice, bob, and 10 others'],
      ['es', ['alice', 'bob'], 2, 'alice y bob'],
      ['es', ['alice', 'bob', 'carol'], 3, 'alice, bob y carol'],
      ['ru', ['alice', 'bob'], 2, 'alice и bob'],
      ['ru', ['alice', 'bob', 'carol'], 3, 'alice, bob и carol'],
    ])('should name %s %j (%d in all) as "%s"', (lang, names, total, expected) => {
      expect(namesList(names, total, lang, others)).toBe(expected);
    });
  });

  describe(digestView.name, () => {
    const links = {
      link: (path: string) => `https://mb.example${path}`,
      unsubscribeUrl: 'https://mb.example/unsubscribe/t',
    };

    it('should be empty, and count nothing, without items', () => {
      expect(isEmptyDigest(items())).toBe(true);
      expect(notificationCount(items())).toBe(0);
      const view = digestView(user(), items(), 'en', links, others);
      expect([view.messages, view.follows, view.mentions, view.announcements]).toEqual([
        null,
        null,
        null,
        null,
      ]);
    });

    it('should give each sender a link to the conversation and name them for the subject', () => {
      const view = digestView(
        user(),
        items({
          messages: messagesBySender([
            { username: 'alice', count: 2, latestAt: ago(HOUR) },
            { username: 'bob', count: 1, latestAt: ago(2 * HOUR) },
          ]),
        }),
        'en',
        links,
        others,
      );
      expect(view.messages).toEqual({
        count: 3,
        names: 'alice and bob',
        senders: [
          { username: 'alice', count: 2, url: 'https://mb.example/conversations/alice' },
          { username: 'bob', count: 1, url: 'https://mb.example/conversations/bob' },
        ],
        moreSenders: 0,
        url: 'https://mb.example/conversations',
      });
      expect(view.notificationCount).toBe(0);
    });

    it('should count notifications of every kind, list what it shows and say how many more', () => {
      const at = ago(HOUR);
      const digest = items({
        follows: { total: 12, items: [{ username: 'dave', at }] },
        mentions: { total: 1, items: [{ author: 'erin', body: '<b>hi</b> @carol', at }] },
        announcements: { total: 2, items: [{ text: 'Maintenance', at }] },
      });
      expect(isEmptyDigest(digest)).toBe(false);
      const view = digestView(user(), digest, 'en', links, others);
      expect(view.notificationCount).toBe(15);
      expect(view.follows).toMatchObject({
        count: 12,
        names: 'dave and 11 others',
        followers: [{ username: 'dave', url: 'https://mb.example/user/dave' }],
        more: 11,
        url: 'https://mb.example/user/carol/followers',
      });
      // The post's text as it is: the HTML template escapes it.
      expect(view.mentions).toEqual({
        count: 1,
        items: [
          { author: 'erin', body: '<b>hi</b> @carol', at, url: 'https://mb.example/user/erin' },
        ],
        more: 0,
      });
      expect(view.announcements).toEqual({
        count: 2,
        items: [{ text: 'Maintenance', at }],
        more: 1,
      });
      expect([view.centerUrl, view.preferencesUrl, view.unsubscribeUrl]).toEqual([
        'https://mb.example/notifications/center',
        'https://mb.example/edit_profile#notification-preferences',
        'https://mb.example/unsubscribe/t',
      ]);
    });
  });
});
