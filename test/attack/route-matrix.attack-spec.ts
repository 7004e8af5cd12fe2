import request from 'supertest';
import { In } from 'typeorm';
import { AuthService } from '../../src/auth/auth.service';
import { EmailToken } from '../../src/auth/email-token.entity';
import { EmailTokensService } from '../../src/auth/email-tokens.service';
import { PasswordResetService } from '../../src/auth/password-reset.service';
import { verifyPassword } from '../../src/auth/passwords';
import { Session } from '../../src/auth/session.entity';
import { Block } from '../../src/blocks/block.entity';
import { UnsubscribeLinks } from '../../src/digests/unsubscribe-links';
import { Follow } from '../../src/follows/follow.entity';
import { FollowsService } from '../../src/follows/follows.service';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { Notification } from '../../src/notifications/notification.entity';
import { Post } from '../../src/posts/post.entity';
import { PostsService } from '../../src/posts/posts.service';
import { Role, User } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { csrfTokenOf } from '../utils/browser-session';
import { createTestApp, TestApp } from '../utils/test-app';
import { claimsOf, CsrfIdentity, newCsrfIdentity, rawGet, setCookiesOf } from './attack-helpers';

/**
 * Who calls: nobody, the owner of the resources a route names ("user": alice), another user
 * acting on alice's resources ("other": bob), and an admin acting on alice's resources. Each
 * logged-in caller once with the browser's cookie and once with `Authorization: Bearer`.
 */
const COLUMNS = [
  'anonymous',
  'user/cookie',
  'user/bearer',
  'other/cookie',
  'other/bearer',
  'admin/cookie',
  'admin/bearer',
] as const;
type Column = (typeof COLUMNS)[number];
type Who = 'anonymous' | 'user' | 'other' | 'admin';
type Expected = readonly [string, string, string, string, string, string, string];

interface Caller {
  column: Column;
  who: Who;
  /** The logged-in user, and the session its token names. */
  user: User | null;
  sessionId: string | null;
  headers: Record<string, string>;
  /** The CSRF token the caller's forms carry. */
  csrfToken: string;
}

interface Outcome {
  status: number;
  location?: string;
  text: string;
  headers: Record<string, unknown>;
}

interface Row {
  route: string;
  call: (as: Caller) => Promise<Outcome>;
  /** A function where the paths hold ids known only once the users exist. */
  expected: Expected | (() => Expected);
  /** What the cell did beyond its status: stored, changed, showed. */
  verify?: (as: Caller, res: Outcome) => Promise<void> | void;
}

/** A cell as the table spells it: the status, and where a redirect goes. */
const summary = (res: Outcome) =>
  res.status >= 300 && res.status < 400 ? `${res.status} ${res.location}` : String(res.status);

const login = (path: string) => `302 /auth/login?next=${encodeURIComponent(path)}`;
/** A page: anonymous visitors go to the login page, everyone logged in gets `ok`. */
const page = (path: string, ok: string): Expected => [login(path), ok, ok, ok, ok, ok, ok];
/** A JSON route of the logged-in user (cookie or bearer): 401 for anonymous callers. */
const json = (ok: string): Expected => ['401', ok, ok, ok, ok, ok, ok];
/** /api/admin: an admin's bearer token only; the cookie is not read, a user's token is 403. */
const adminApi = (ok: string): Expected => ['401', '401', '403', '401', '403', '401', ok];
const everyone = (status: string): Expected => [
  status,
  status,
  status,
  status,
  status,
  status,
  status,
];

describe('Attack: every route x every role', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let root: User;
  let csrf: CsrfIdentity;
  let registrations = 0;
  const seen: { route: string; column: Column; status: number }[] = [];

  const users = () => t.dataSource.getRepository(User);
  const sessions = () => t.dataSource.getRepository(Session);
  const messages = () => t.dataSource.getRepository(Message);
  const blocks = () => t.dataSource.getRepository(Block);
  /** Alice blocked bob (as the block form would store it). */
  const aliceBlocksBob = () =>
    blocks().save({ blockerId: alice.id, blockedId: bob.id, createdAt: new Date() });
  const clearBlocks = () => t.dataSource.createQueryBuilder().delete().from(Block).execute();
  /** Each column's message to delete, by column: the ids are known once the cells ran. */
  const deletable: Partial<Record<Column, number>> = {};
  const aboutMeOf = async (user: User) => (await users().findOneByOrFail({ id: user.id })).aboutMe;
  const follows = () => t.dataSource.getRepository(Follow);
  const posts = () => t.dataSource.getRepository(Post);
  /** Bob follows alice (again: following twice changes nothing). */
  const bobFollowsAlice = () => t.app.get(FollowsService).follow(bob, alice);
  /** Every follow ended through the service, so the counts on the rows stay right. */
  const clearFollows = async () => {
    for (const follow of await follows().find({ relations: { follower: true, followed: true } })) {
      await t.app.get(FollowsService).unfollow(follow.follower, follow.followed);
    }
  };
  const followPairs = async () => (await follows().find()).map((f) => [f.followerId, f.followedId]);
  /** Each column's post to delete, by column, as for messages. */
  const deletablePosts: Partial<Record<Column, number>> = {};
  /** A post of alice's that every caller may fetch live and the admin may list. */
  let alicesPost: Post;
  const DEFAULT_PREFERENCES = {
    notifyFollows: true,
    notifyMentions: true,
    notifyMessages: false,
    notifyAnnouncements: true,
    mentionsFromFollowingOnly: false,
    messagesFromFollowingOnly: false,
  };
  /** A new account's email choices, and what an unsubscribe link of scope "all" leaves. */
  const EMAIL_DEFAULTS = {
    emailFollows: false,
    emailMentions: true,
    emailMessages: true,
    emailAnnouncements: false,
  };
  const EMAIL_OFF = {
    emailFollows: false,
    emailMentions: false,
    emailMessages: false,
    emailAnnouncements: false,
  };
  const emailChoicesOf = async (user: User) => {
    const row = await users().findOneByOrFail({ id: user.id });
    return Object.fromEntries(
      Object.keys(EMAIL_DEFAULTS).map((key) => [key, row[key as keyof User]]),
    );
  };
  /** Alice's and bob's email choices as a new account's (the preferences form changes them). */
  const resetEmailChoices = () => users().update({ id: In([alice.id, bob.id]) }, EMAIL_DEFAULTS);
  const unsubscribeToken = (user: User) =>
    t.app.get(UnsubscribeLinks).token({ userId: user.id, scope: 'all' });
  const preferencesOf = async (user: User) => {
    const row = await users().findOneByOrFail({ id: user.id });
    return Object.fromEntries(
      Object.keys(DEFAULT_PREFERENCES).map((key) => [key, row[key as keyof User]]),
    );
  };

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    alice = await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    root = await createUser(t.app, 'root', { role: Role.Admin });
    await t.app.get(MessagesService).send(bob, alice, 'for alice only');
    alicesPost = await t.app.get(PostsService).create(alice, 'alice posts for everyone');
    // Alice is mentioned: a notification in her center only.
    await t.app.get(PostsService).create(bob, 'hello @alice, from bob');
    csrf = await newCsrfIdentity(t.app);
  });

  afterAll(() => t.close());

  /** A fresh login per cell: logouts in earlier cells end nothing a later cell uses. */
  async function callerFor(column: Column): Promise<Caller> {
    const [who, via] = column.split('/') as [Who, 'cookie' | 'bearer' | undefined];
    if (who === 'anonymous') {
      return {
        column,
        who,
        user: null,
        sessionId: null,
        headers: { Cookie: csrf.cookie },
        csrfToken: csrf.token,
      };
    }
    const user = { user: alice, other: bob, admin: root }[who];
    const { token } = await t.app.get(AuthService).issueToken(user, false);
    const headers: Record<string, string> =
      via === 'cookie'
        ? { Cookie: `${csrf.cookie}; mb_token=${token}` }
        : { Cookie: csrf.cookie, Authorization: `Bearer ${token}` };
    // A logged-in caller's forms carry a token bound to their login session, from a page they
    // were shown (an anonymous browser's token is refused with their login).
    const page = await request(t.app.getHttpServer())
      .get('/edit_profile')
      .set('Accept', 'text/html')
      .set(headers);
    const csrfCookie = setCookiesOf(page).mb_csrf;
    headers.Cookie = headers.Cookie.replace(/mb_csrf=[^;]*/, `mb_csrf=${csrfCookie}`);
    return {
      column,
      who,
      user,
      sessionId: claimsOf(token).sid as string,
      headers,
      csrfToken: csrfTokenOf(page.text),
    };
  }

  type Method = 'get' | 'post' | 'patch' | 'delete';
  async function send(
    as: Caller,
    method: Method,
    path: string,
    body: { form?: Record<string, string>; json?: object } = {},
  ): Promise<Outcome> {
    const accept = path.startsWith('/api/') ? 'application/json' : 'text/html';
    let req = request(t.app.getHttpServer())[method](path).set('Accept', accept).set(as.headers);
    if (body.form) {
      req = req.type('form').send({ csrf_token: as.csrfToken, ...body.form });
    } else if (body.json) {
      req = req.send(body.json);
    }
    const res = await req;
    return {
      status: res.status,
      location: res.headers.location,
      text: res.text,
      headers: res.headers,
    };
  }
  const get = (path: string) => (as: Caller) => send(as, 'get', path);
  const stream = (path: () => string) => async (as: Caller) => {
    const res = await rawGet(t.baseUrl, path(), { Accept: 'text/event-stream', ...as.headers });
    return { status: res.status, text: res.body, headers: res.headers };
  };

  const hostileInboxPath = () =>
    `/messages?user=alice&uid=${alice.id}&recipient=${alice.id}&userId=${alice.id}`;
  const usernameOf = (as: Caller) => as.user?.username ?? '';
  const sessionLive = async (as: Caller) =>
    as.sessionId ? (await sessions().countBy({ id: as.sessionId })) === 1 : false;

  /** A fresh link of alice's for `purpose`, as her email would carry it. */
  const aliceLink = (purpose: 'password_reset' | 'email_confirmation') =>
    t.dataSource.transaction((manager) =>
      t.app.get(EmailTokensService).issue(manager, alice, purpose, 1_800_000),
    );
  const clearLinks = () => t.dataSource.createQueryBuilder().delete().from(EmailToken).execute();
  const linksOf = (user: User, purpose: 'password_reset' | 'email_confirmation') =>
    t.dataSource.getRepository(EmailToken).countBy({ userId: user.id, purpose });
  const emailsOf = async () =>
    Promise.all(
      [alice, bob, root].map(async (u) => (await users().findOneByOrFail({ id: u.id })).email),
    );
  /** Every account's address and password as the factory made them, the address unconfirmed. */
  const restoreAccounts = async () => {
    for (const user of [alice, bob, root]) {
      await users().update(
        { id: user.id },
        {
          email: `${user.username}@example.com`,
          passwordHash: user.passwordHash,
          passwordChangedAt: null,
          emailConfirmedAt: null,
        },
      );
    }
  };
  const toOwnAddress = (page: string): Expected => [
    login(page),
    '302 /edit_profile#email-address',
    '302 /edit_profile#email-address',
    '302 /edit_profile#email-address',
    '302 /edit_profile#email-address',
    '302 /edit_profile#email-address',
    '302 /edit_profile#email-address',
  ];

  const rows: Row[] = [
    {
      route: 'GET /',
      call: get('/'),
      expected: page('/', '200'),
    },
    {
      route: 'GET /?page=2',
      call: get('/?page=2'),
      expected: page('/?page=2', '200'),
    },
    {
      route: 'GET /explore',
      call: get('/explore'),
      expected: page('/explore', '200'),
    },
    {
      route: 'GET /user/:username (alice)',
      call: get('/user/alice'),
      expected: page('/user/alice', '200'),
      verify: (as, res) => {
        if (as.who === 'anonymous') {
          return;
        }
        // Her own profile offers editing; anyone else's offers a message, never her settings.
        expect([as.column, res.text.includes('href="/edit_profile"')]).toEqual([
          as.column,
          as.who === 'user',
        ]);
        expect([as.column, res.text.includes('id="send-message-link"')]).toEqual([
          as.column,
          as.who !== 'user',
        ]);
      },
    },
    {
      route: 'GET /user/:username (unknown)',
      call: get('/user/nobody'),
      expected: page('/user/nobody', '404'),
    },
    {
      route: 'GET /edit_profile',
      call: get('/edit_profile'),
      expected: page('/edit_profile', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Always the caller's own profile: there is no way to name someone else's.
          const value = /id="username" name="username" type="text" value="([^"]*)"/.exec(
            res.text,
          )?.[1];
          expect([as.column, value]).toEqual([as.column, usernameOf(as)]);
        }
      },
    },
    {
      route: 'GET /edit_profile?username=alice&user=alice (hostile params)',
      call: (as) => send(as, 'get', `/edit_profile?username=alice&user=alice&id=${alice.id}`),
      expected: () => page(`/edit_profile?username=alice&user=alice&id=${alice.id}`, '200'),
      verify: (as, res) => {
        if (as.user) {
          const value = /id="username" name="username" type="text" value="([^"]*)"/.exec(
            res.text,
          )?.[1];
          expect([as.column, value]).toEqual([as.column, usernameOf(as)]);
        }
      },
    },
    {
      route: 'POST /edit_profile',
      call: (as) =>
        send(as, 'post', '/edit_profile', {
          form: { username: usernameOf(as) || 'alice', about_me: `matrix ${as.column}` },
        }),
      expected: [
        login('/edit_profile'),
        '302 /edit_profile',
        '302 /edit_profile',
        '302 /edit_profile',
        '302 /edit_profile',
        '302 /edit_profile',
        '302 /edit_profile',
      ],
      verify: async (as) => {
        const text = `matrix ${as.column}`;
        // The caller's own profile changed, and alice's only when alice is the caller.
        if (as.user) {
          expect([as.column, await aboutMeOf(as.user)]).toEqual([as.column, text]);
        }
        if (as.who !== 'user') {
          expect([as.column, await aboutMeOf(alice)]).not.toEqual([as.column, text]);
        }
        expect(await users().countBy({ aboutMe: text })).toBe(as.user ? 1 : 0);
      },
    },
    {
      route: 'GET /messages',
      call: get('/messages'),
      expected: page('/messages', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Only alice reads alice's inbox: not another user, not an admin.
          expect([as.column, res.text.includes('for alice only')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: 'GET /messages?user=alice&uid=:id&recipient=:id (hostile params)',
      call: (as) => send(as, 'get', hostileInboxPath()),
      expected: () => page(hostileInboxPath(), '200'),
      verify: (as, res) => {
        if (as.user) {
          expect([as.column, res.text.includes('for alice only')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: 'GET /send_message/:recipient (alice)',
      call: get('/send_message/alice'),
      // Nobody writes to themselves: alice gets the page's clear 400.
      expected: [login('/send_message/alice'), '400', '400', '200', '200', '200', '200'],
    },
    {
      route: 'GET /send_message/:recipient (unknown)',
      call: get('/send_message/nobody'),
      expected: page('/send_message/nobody', '404'),
    },
    {
      route: 'POST /send_message/:recipient (alice)',
      call: (as) =>
        send(as, 'post', '/send_message/alice', { form: { message: `matrix ${as.column}` } }),
      expected: [
        login('/send_message/alice'),
        '400',
        '400',
        '302 /conversations/alice',
        '302 /conversations/alice',
        '302 /conversations/alice',
        '302 /conversations/alice',
      ],
      verify: async (as) => {
        const stored = await messages().findBy({ body: `matrix ${as.column}` });
        const expected = as.who === 'other' || as.who === 'admin' ? [as.user?.id] : [];
        expect([as.column, stored.map((m) => m.senderId)]).toEqual([as.column, expected]);
      },
    },
    {
      route: 'GET /conversations',
      call: get('/conversations'),
      expected: page('/conversations', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Alice's conversation with bob is in her list, nobody else's (bob's is with alice).
          expect([as.column, res.text.includes('data-peer="bob"')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: 'GET /conversations?user=alice&uid=:id (hostile params)',
      call: (as) => send(as, 'get', `/conversations?user=alice&uid=${alice.id}&userId=${alice.id}`),
      expected: () => page(`/conversations?user=alice&uid=${alice.id}&userId=${alice.id}`, '200'),
      verify: (as, res) => {
        if (as.user) {
          expect([as.column, res.text.includes('data-peer="bob"')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: "GET /conversations/:username (bob: alice's thread with him)",
      call: get('/conversations/bob'),
      // Bob has no thread with himself: 400. The admin's thread with bob is empty.
      expected: [login('/conversations/bob'), '200', '200', '400', '400', '200', '200'],
      verify: (as, res) => {
        if (res.status === 200) {
          expect([as.column, res.text.includes('for alice only')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: 'GET /conversations/:username (alice)',
      call: get('/conversations/alice'),
      // Bob wrote the message, so his thread with alice shows it; the admin's does not.
      expected: [login('/conversations/alice'), '400', '400', '200', '200', '200', '200'],
      verify: (as, res) => {
        if (res.status === 200) {
          expect([as.column, res.text.includes('for alice only')]).toEqual([
            as.column,
            as.who === 'other',
          ]);
        }
      },
    },
    {
      route: 'GET /conversations/:username (unknown)',
      call: get('/conversations/nobody'),
      expected: page('/conversations/nobody', '404'),
    },
    {
      route: 'GET /conversations/:username/messages?after=0 (bob)',
      call: get('/conversations/bob/messages?after=0'),
      expected: [
        login('/conversations/bob/messages?after=0'),
        '200',
        '200',
        '400',
        '400',
        '200',
        '200',
      ],
      verify: (as, res) => {
        if (res.status === 200) {
          expect([as.column, res.text.includes('for alice only')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
          // A fragment of the thread, without the page around it.
          expect([as.column, /<html|<nav/.test(res.text)]).toEqual([as.column, false]);
        }
      },
    },
    {
      route: 'GET /conversations/:username/messages?after=abc',
      call: get('/conversations/bob/messages?after=abc'),
      expected: [
        login('/conversations/bob/messages?after=abc'),
        '400',
        '400',
        '400',
        '400',
        '400',
        '400',
      ],
    },
    {
      route: 'GET /conversations/:username/messages (unknown)',
      call: get('/conversations/nobody/messages?after=0'),
      expected: page('/conversations/nobody/messages?after=0', '404'),
    },
    {
      route: 'GET /messages/sent',
      call: get('/messages/sent'),
      expected: page('/messages/sent', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Bob sent it: in his sent view only.
          expect([as.column, res.text.includes('for alice only')]).toEqual([
            as.column,
            as.who === 'other',
          ]);
        }
      },
    },
    {
      route: "POST /messages/:id/delete (alice's message)",
      call: async (as) => {
        const message = await t.app.get(MessagesService).send(alice, bob, `delete ${as.column}`);
        deletable[as.column] = message.id;
        return send(as, 'post', `/messages/${message.id}/delete`, { form: {} });
      },
      // Only its sender deletes a message here: for anyone else it is not there (the admin
      // uses the API).
      expected: () => [
        login(`/messages/${deletable.anonymous}/delete`),
        '302 /conversations/bob',
        '302 /conversations/bob',
        '404',
        '404',
        '404',
        '404',
      ],
      verify: async (as) => {
        expect([as.column, await messages().countBy({ body: `delete ${as.column}` })]).toEqual([
          as.column,
          as.who === 'user' ? 0 : 1,
        ]);
      },
    },
    {
      route: "GET /blocked (alice's block of bob)",
      call: async (as) => {
        await aliceBlocksBob();
        try {
          return await send(as, 'get', '/blocked');
        } finally {
          await clearBlocks();
        }
      },
      expected: page('/blocked', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Her list of blocked users is hers alone (bob is never told).
          expect([as.column, res.text.includes('action="/user/bob/unblock"')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: 'POST /user/:username/block (bob)',
      call: (as) => send(as, 'post', '/user/bob/block', { form: {} }),
      // Nobody blocks themselves: bob gets 400.
      expected: [
        login('/user/bob/block'),
        '302 /user/bob',
        '302 /user/bob',
        '400',
        '400',
        '302 /user/bob',
        '302 /user/bob',
      ],
      verify: async (as) => {
        const stored = (await blocks().find()).map((b) => [b.blockerId, b.blockedId]);
        await clearBlocks();
        // The caller's own block, never one in anyone else's name.
        const expected = as.user && as.who !== 'other' ? [[as.user.id, bob.id]] : [];
        expect([as.column, stored]).toEqual([as.column, expected]);
      },
    },
    {
      route: 'POST /user/:username/block (bob) {next: another site}',
      call: (as) =>
        send(as, 'post', '/user/bob/block', { form: { next: 'https://evil.example/' } }),
      expected: [
        login('/user/bob/block'),
        '302 /user/bob',
        '302 /user/bob',
        '400',
        '400',
        '302 /user/bob',
        '302 /user/bob',
      ],
      verify: () => clearBlocks().then(() => undefined),
    },
    {
      route: 'POST /user/:username/block (unknown)',
      call: (as) => send(as, 'post', '/user/nobody/block', { form: {} }),
      expected: [login('/user/nobody/block'), '404', '404', '404', '404', '404', '404'],
    },
    {
      route: "POST /user/:username/unblock (bob, alice's block)",
      call: async (as) => {
        await aliceBlocksBob();
        return send(as, 'post', '/user/bob/unblock', { form: {} });
      },
      expected: [
        login('/user/bob/unblock'),
        '302 /user/bob',
        '302 /user/bob',
        '302 /user/bob',
        '302 /user/bob',
        '302 /user/bob',
        '302 /user/bob',
      ],
      verify: async (as) => {
        const kept = await blocks().countBy({ blockerId: alice.id, blockedId: bob.id });
        await clearBlocks();
        // Only alice lifts her block.
        expect([as.column, kept]).toEqual([as.column, as.who === 'user' ? 0 : 1]);
      },
    },
    {
      route: 'POST /user/:username/unblock (unknown)',
      call: (as) => send(as, 'post', '/user/nobody/unblock', { form: {} }),
      expected: [login('/user/nobody/unblock'), '404', '404', '404', '404', '404', '404'],
    },
    {
      route: 'GET /explore?q=ali (people search)',
      call: get('/explore?q=ali'),
      expected: page('/explore?q=ali', '200'),
      verify: (as, res) => {
        if (as.user) {
          expect([as.column, res.text.includes('href="/user/alice"')]).toEqual([as.column, true]);
        }
      },
    },
    {
      route: 'GET /search?q=everyone (posts search)',
      call: get('/search?q=everyone'),
      expected: page('/search?q=everyone', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Posts are public: everyone logged in finds alice's, the word marked.
          expect([as.column, res.text.includes('<mark>everyone</mark>')]).toEqual([
            as.column,
            true,
          ]);
        }
      },
    },
    {
      route: "GET /user/:username/followers (alice, bob's follow)",
      call: async (as) => {
        await bobFollowsAlice();
        return send(as, 'get', '/user/alice/followers');
      },
      expected: page('/user/alice/followers', '200'),
      verify: (as, res) => {
        if (as.user) {
          // A public list: the same follower for everyone who asks.
          expect([as.column, res.text.includes('data-user-card="bob"')]).toEqual([as.column, true]);
        }
      },
    },
    {
      route: 'GET /user/:username/following (bob, his follow of alice)',
      call: async (as) => {
        await bobFollowsAlice();
        return send(as, 'get', '/user/bob/following');
      },
      expected: page('/user/bob/following', '200'),
      verify: (as, res) => {
        if (as.user) {
          expect([as.column, res.text.includes('data-user-card="alice"')]).toEqual([
            as.column,
            true,
          ]);
        }
      },
    },
    {
      route: 'GET /user/:username/followers (unknown)',
      call: get('/user/nobody/followers'),
      expected: page('/user/nobody/followers', '404'),
    },
    {
      route: 'GET /user/:username/following (unknown)',
      call: get('/user/nobody/following'),
      expected: page('/user/nobody/following', '404'),
    },
    {
      route: "GET /user/:username/card (alice, bob's follow)",
      call: async (as) => {
        await bobFollowsAlice();
        return send(as, 'get', '/user/alice/card');
      },
      expected: page('/user/alice/card', '200'),
      verify: (as, res) => {
        if (res.status !== 200) {
          return;
        }
        // A fragment, without the page around it; her own card has no button, bob's says
        // Unfollow, the admin's says Follow.
        expect([as.column, /<html|<nav/.test(res.text)]).toEqual([as.column, false]);
        expect([
          as.column,
          res.text.includes('action="/user/alice/follow"'),
          res.text.includes('action="/user/alice/unfollow"'),
        ]).toEqual([as.column, as.who === 'admin', as.who === 'other']);
      },
    },
    {
      route: 'GET /user/:username/card (unknown)',
      call: get('/user/nobody/card'),
      expected: page('/user/nobody/card', '404'),
    },
    {
      route: 'POST /user/:username/follow (alice)',
      call: async (as) => {
        await clearFollows();
        return send(as, 'post', '/user/alice/follow', { form: {} });
      },
      // Nobody follows themselves: alice gets 400.
      expected: [
        login('/user/alice/follow'),
        '400',
        '400',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
      ],
      verify: async (as) => {
        const stored = await followPairs();
        await clearFollows();
        // The caller's own follow, never one in anyone else's name.
        const expected = as.user && as.who !== 'user' ? [[as.user.id, alice.id]] : [];
        expect([as.column, stored]).toEqual([as.column, expected]);
      },
    },
    {
      route: 'POST /user/:username/follow (alice) {next: a page of the site}',
      call: (as) => send(as, 'post', '/user/alice/follow', { form: { next: '/explore?page=2' } }),
      expected: [
        login('/user/alice/follow'),
        '400',
        '400',
        '302 /explore?page=2',
        '302 /explore?page=2',
        '302 /explore?page=2',
        '302 /explore?page=2',
      ],
      verify: () => clearFollows(),
    },
    {
      route: 'POST /user/:username/follow (alice) {next: another site}',
      call: (as) =>
        send(as, 'post', '/user/alice/follow', { form: { next: 'https://evil.example/' } }),
      expected: [
        login('/user/alice/follow'),
        '400',
        '400',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
      ],
      verify: () => clearFollows(),
    },
    {
      route: 'POST /user/:username/follow (unknown)',
      call: (as) => send(as, 'post', '/user/nobody/follow', { form: {} }),
      expected: [login('/user/nobody/follow'), '404', '404', '404', '404', '404', '404'],
    },
    {
      route: "POST /user/:username/unfollow (alice, bob's follow)",
      call: async (as) => {
        await bobFollowsAlice();
        return send(as, 'post', '/user/alice/unfollow', { form: {} });
      },
      // Unfollowing someone one does not follow (oneself included) changes nothing.
      expected: [
        login('/user/alice/unfollow'),
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
        '302 /user/alice',
      ],
      verify: async (as) => {
        const kept = await follows().countBy({ followerId: bob.id, followedId: alice.id });
        // Only bob ends his follow.
        expect([as.column, kept]).toEqual([as.column, as.who === 'other' ? 0 : 1]);
        const counts = await users().findOneByOrFail({ id: alice.id });
        expect([as.column, counts.followersCount]).toEqual([as.column, kept]);
      },
    },
    {
      route: 'POST /user/:username/unfollow (unknown)',
      call: (as) => send(as, 'post', '/user/nobody/unfollow', { form: {} }),
      expected: [login('/user/nobody/unfollow'), '404', '404', '404', '404', '404', '404'],
    },
    {
      route: 'POST /posts',
      call: (as) => send(as, 'post', '/posts', { form: { post: `matrix post ${as.column}` } }),
      expected: [login('/posts'), '302 /', '302 /', '302 /', '302 /', '302 /', '302 /'],
      verify: async (as) => {
        const stored = await posts().findBy({ body: `matrix post ${as.column}` });
        // The caller's own post; nothing for a caller who is not logged in.
        expect([as.column, stored.map((p) => p.authorId)]).toEqual([
          as.column,
          as.user ? [as.user.id] : [],
        ]);
      },
    },
    {
      route: 'POST /posts {authorId: alice, author_id: alice} (hostile fields)',
      call: (as) =>
        send(as, 'post', '/posts', {
          form: {
            post: `hostile post ${as.column}`,
            authorId: String(alice.id),
            author_id: String(alice.id),
            author: 'alice',
          },
        }),
      expected: [login('/posts'), '302 /', '302 /', '302 /', '302 /', '302 /', '302 /'],
      verify: async (as) => {
        const stored = await posts().findBy({ body: `hostile post ${as.column}` });
        expect([as.column, stored.map((p) => p.authorId)]).toEqual([
          as.column,
          as.user ? [as.user.id] : [],
        ]);
      },
    },
    {
      route: "POST /posts/:id/delete (alice's post)",
      call: async (as) => {
        const post = await t.app.get(PostsService).create(alice, `delete post ${as.column}`);
        deletablePosts[as.column] = post.id;
        return send(as, 'post', `/posts/${post.id}/delete`, { form: {} });
      },
      // Only its author deletes a post here: for anyone else it is not there (the admin uses
      // the API).
      expected: () => [
        login(`/posts/${deletablePosts.anonymous}/delete`),
        '302 /',
        '302 /',
        '404',
        '404',
        '404',
        '404',
      ],
      verify: async (as) => {
        expect([as.column, await posts().countBy({ body: `delete post ${as.column}` })]).toEqual([
          as.column,
          as.who === 'user' ? 0 : 1,
        ]);
      },
    },
    {
      route: 'POST /posts/:id/delete (unknown)',
      call: (as) => send(as, 'post', '/posts/2147483647/delete', { form: {} }),
      expected: [login('/posts/2147483647/delete'), '404', '404', '404', '404', '404', '404'],
    },
    {
      route: "GET /posts/live?ids=(alice's post)",
      call: (as) => send(as, 'get', `/posts/live?ids=${alicesPost.id}`),
      expected: () => page(`/posts/live?ids=${alicesPost.id}`, '200'),
      verify: (as, res) => {
        if (res.status !== 200) {
          return;
        }
        // The post, without the page around it; a Delete button for its author only.
        expect([
          as.column,
          res.text.includes(`data-post-id="${alicesPost.id}"`),
          /<html|<nav/.test(res.text),
          res.text.includes(`action="/posts/${alicesPost.id}/delete"`),
        ]).toEqual([as.column, true, false, as.who === 'user']);
      },
    },
    {
      route: 'GET /posts/live?ids=abc,-1,1e3 (junk ids)',
      call: get('/posts/live?ids=abc,-1,1e3'),
      expected: page('/posts/live?ids=abc,-1,1e3', '200'),
      verify: (as, res) => {
        if (res.status === 200) {
          expect([as.column, res.text.trim()]).toEqual([as.column, '']);
        }
      },
    },
    {
      route: 'GET /notifications/center',
      call: get('/notifications/center'),
      expected: page('/notifications/center', '200'),
      verify: (as, res) => {
        if (as.user) {
          // Bob's mention of alice is in her center only.
          expect([as.column, res.text.includes('data-kind="mention"')]).toEqual([
            as.column,
            as.who === 'user',
          ]);
        }
      },
    },
    {
      route: 'POST /notifications/preferences',
      call: (as) =>
        send(as, 'post', '/notifications/preferences', {
          form: { notify_messages: 'on', mentions_from_following_only: 'on' },
        }),
      expected: [
        login('/notifications/preferences'),
        '302 /edit_profile#notification-preferences',
        '302 /edit_profile#notification-preferences',
        '302 /edit_profile#notification-preferences',
        '302 /edit_profile#notification-preferences',
        '302 /edit_profile#notification-preferences',
        '302 /edit_profile#notification-preferences',
      ],
      verify: async (as) => {
        const saved = {
          notifyFollows: false,
          notifyMentions: false,
          notifyMessages: true,
          notifyAnnouncements: false,
          mentionsFromFollowingOnly: true,
          messagesFromFollowingOnly: false,
        };
        // The caller's own preferences changed, and alice's only when alice is the caller.
        const checks = [];
        for (const user of [alice, bob, root]) {
          checks.push([user.username, await preferencesOf(user)]);
        }
        await users().update({ id: In([alice.id, bob.id, root.id]) }, DEFAULT_PREFERENCES);
        expect([as.column, checks]).toEqual([
          as.column,
          [alice, bob, root].map((user) => [
            user.username,
            user.id === as.user?.id ? saved : DEFAULT_PREFERENCES,
          ]),
        ]);
      },
    },
    {
      route: 'GET /auth/register',
      call: get('/auth/register'),
      expected: everyone('200'),
    },
    {
      route: 'POST /auth/register',
      call: (as) => {
        const username = `matrix${++registrations}`;
        return send(as, 'post', '/auth/register', {
          form: {
            username,
            email: `${username}@example.com`,
            password: 'cat-on-the-mat',
            password2: 'cat-on-the-mat',
          },
        });
      },
      expected: everyone('302 /auth/login'),
      verify: async (as) => {
        expect([as.column, await users().countBy({ username: `matrix${registrations}` })]).toEqual([
          as.column,
          1,
        ]);
      },
    },
    {
      route: 'GET /auth/login',
      call: get('/auth/login'),
      // Someone logged in has nothing to do there.
      expected: ['200', '302 /', '302 /', '302 /', '302 /', '302 /', '302 /'],
    },
    {
      route: 'POST /auth/login',
      call: (as) =>
        send(as, 'post', '/auth/login', { form: { username: 'bob', password: DEFAULT_PASSWORD } }),
      expected: everyone('302 /'),
      verify: (as, res) => {
        expect([as.column, setCookiesOf(res).mb_token?.length > 0]).toEqual([as.column, true]);
      },
    },
    {
      route: 'POST /auth/logout',
      call: (as) => send(as, 'post', '/auth/logout', { form: {} }),
      expected: everyone('302 /'),
      verify: async (as) => {
        // The caller's session ends, whichever way its token came.
        expect([as.column, await sessionLive(as)]).toEqual([as.column, false]);
      },
    },
    {
      route: 'POST /auth/logout_everywhere',
      call: (as) => send(as, 'post', '/auth/logout_everywhere', { form: {} }),
      expected: [
        login('/auth/logout_everywhere'),
        '302 /',
        '302 /',
        '302 /',
        '302 /',
        '302 /',
        '302 /',
      ],
      verify: async (as) => {
        if (as.user) {
          expect([as.column, await sessions().countBy({ userId: as.user.id })]).toEqual([
            as.column,
            0,
          ]);
        }
      },
    },
    // Password reset and the email address: the link is the proof, whoever opens it.
    {
      route: 'GET /auth/forgot_password',
      call: get('/auth/forgot_password'),
      expected: everyone('200'),
    },
    {
      route: "POST /auth/forgot_password (alice's address)",
      call: async (as) => {
        await clearLinks();
        return send(as, 'post', '/auth/forgot_password', { form: { email: 'alice@example.com' } });
      },
      expected: everyone('302 /auth/login'),
      verify: async (as) => {
        await t.app.get(PasswordResetService).idle();
        // One link, to alice, whoever asked.
        const links = [
          await linksOf(alice, 'password_reset'),
          await linksOf(bob, 'password_reset'),
        ];
        expect([as.column, links]).toEqual([as.column, [1, 0]]);
      },
    },
    {
      route: "GET /auth/reset_password/:link (alice's)",
      call: async (as) =>
        send(as, 'get', `/auth/reset_password/${await aliceLink('password_reset')}`),
      expected: everyone('200'),
      verify: (as, res) => {
        expect([as.column, res.text.includes('name="username" value="alice"')]).toEqual([
          as.column,
          true,
        ]);
      },
    },
    {
      route: "POST /auth/reset_password/:link (alice's)",
      call: async (as) =>
        send(as, 'post', `/auth/reset_password/${await aliceLink('password_reset')}`, {
          form: { password: 'matrix new password', password2: 'matrix new password' },
        }),
      expected: everyone('302 /auth/login'),
      verify: async (as) => {
        const hash = (await users().findOneByOrFail({ id: alice.id })).passwordHash;
        const sessionsLeft = await sessions().countBy({ userId: alice.id });
        await restoreAccounts();
        expect([
          as.column,
          await verifyPassword(hash, 'matrix new password'),
          sessionsLeft,
        ]).toEqual([as.column, true, 0]);
      },
    },
    {
      route: 'GET /auth/reset_password/:link (forged)',
      call: get(`/auth/reset_password/${'A'.repeat(43)}`),
      expected: everyone('410'),
    },
    {
      route: "GET /auth/confirm_email/:link (alice's)",
      call: async (as) => {
        await restoreAccounts();
        return send(as, 'get', `/auth/confirm_email/${await aliceLink('email_confirmation')}`);
      },
      // Alice back to her address section; anyone else logged in is not shown her page.
      expected: [
        '302 /auth/login',
        '302 /edit_profile#email-address',
        '302 /edit_profile#email-address',
        '302 /',
        '302 /',
        '302 /',
        '302 /',
      ],
      verify: async (as) => {
        const confirmed = (await users().findOneByOrFail({ id: alice.id })).emailConfirmedAt;
        await restoreAccounts();
        expect([as.column, confirmed !== null]).toEqual([as.column, true]);
      },
    },
    {
      route: 'GET /auth/confirm_email/:link (forged)',
      call: get(`/auth/confirm_email/${'A'.repeat(43)}`),
      expected: everyone('410'),
    },
    {
      route: 'GET /edit_profile/email',
      call: get('/edit_profile/email'),
      expected: page('/edit_profile/email', '200'),
      verify: (as, res) => {
        if (as.user) {
          const shown = /<strong id="current-email">([^<]*)<\/strong>/.exec(res.text)?.[1];
          expect([as.column, shown]).toEqual([as.column, as.user.email]);
        }
      },
    },
    {
      route: 'POST /edit_profile/email',
      call: (as) =>
        send(as, 'post', '/edit_profile/email', {
          form: {
            email: `${as.column.replace('/', '.')}@matrix.example`,
            current_password: DEFAULT_PASSWORD,
          },
        }),
      expected: toOwnAddress('/edit_profile/email'),
      verify: async (as) => {
        const emails = await emailsOf();
        await restoreAccounts();
        // The caller's own address changed, and alice's only when alice is the caller.
        expect([as.column, emails]).toEqual([
          as.column,
          [alice, bob, root].map((u) =>
            u.id === as.user?.id
              ? `${as.column.replace('/', '.')}@matrix.example`
              : `${u.username}@example.com`,
          ),
        ]);
      },
    },
    {
      route: 'POST /edit_profile/email/confirmation',
      call: async (as) => {
        await clearLinks();
        return send(as, 'post', '/edit_profile/email/confirmation', { form: {} });
      },
      expected: toOwnAddress('/edit_profile/email/confirmation'),
      verify: async (as) => {
        const links = [];
        for (const user of [alice, bob, root]) {
          links.push(await linksOf(user, 'email_confirmation'));
        }
        expect([as.column, links]).toEqual([
          as.column,
          [alice, bob, root].map((u) => (u.id === as.user?.id ? 1 : 0)),
        ]);
      },
    },
    {
      route: 'GET /avatars/:username',
      call: get('/avatars/alice'),
      expected: everyone('200'),
      verify: (as, res) => {
        expect([as.column, res.headers['content-type']]).toEqual([
          as.column,
          expect.stringContaining('image/svg+xml'),
        ]);
      },
    },
    {
      route: 'GET /health',
      call: get('/health'),
      expected: everyone('200'),
    },
    {
      route: 'GET /notifications',
      call: (as) => send(as, 'get', '/notifications?since=0'),
      expected: json('200'),
    },
    {
      route: "GET /notifications?uid=(alice's id)",
      call: (as) => send(as, 'get', `/notifications?since=0&uid=${alice.id}`),
      // A page rendered for alice, with someone else's login: 409, never their data.
      expected: ['401', '200', '200', '409', '409', '409', '409'],
    },
    {
      route: 'GET /notifications/stream',
      call: stream(() => '/notifications/stream'),
      expected: json('200'),
      verify: (as, res) => {
        if (res.status === 200) {
          // A fresh stream opens with the retry hint and an empty id (no cursor sent), before
          // any state or event.
          expect([as.column, res.text]).toEqual([
            as.column,
            expect.stringMatching(/^\s*id: \nretry: \d+\n\n$/),
          ]);
        }
      },
    },
    {
      route: "GET /notifications/stream?uid=(alice's id)",
      call: stream(() => `/notifications/stream?uid=${alice.id}`),
      expected: ['401', '200', '200', '409', '409', '409', '409'],
    },
    {
      route: 'GET /notifications/stream?watch=home,explore,user:(alice)',
      call: stream(() => `/notifications/stream?watch=home,explore,user:${alice.id}`),
      expected: json('200'),
    },
    {
      route: 'POST /api/auth/token',
      call: (as) =>
        send(as, 'post', '/api/auth/token', {
          json: { username: 'alice', password: DEFAULT_PASSWORD },
        }),
      expected: everyone('200'),
    },
    {
      route: 'POST /api/auth/logout',
      call: (as) => send(as, 'post', '/api/auth/logout'),
      // The bearer token's session only: a cookie (another site's form) can't end it.
      expected: ['401', '401', '204', '401', '204', '401', '204'],
      verify: async (as) => {
        if (as.user) {
          expect([as.column, await sessionLive(as)]).toEqual([
            as.column,
            as.column.endsWith('cookie'),
          ]);
        }
      },
    },
    {
      route: 'GET /api/admin/users',
      call: get('/api/admin/users'),
      expected: adminApi('200'),
    },
    {
      route: 'GET /api/admin/users/:id (alice)',
      call: (as) => send(as, 'get', `/api/admin/users/${alice.id}`),
      expected: adminApi('200'),
      verify: (as, res) => {
        // Emails are the admin's to see, nobody else's.
        expect([as.column, res.text.includes('alice@example.com')]).toEqual([
          as.column,
          as.column === 'admin/bearer',
        ]);
      },
    },
    {
      route: 'PATCH /api/admin/users/:id (alice)',
      call: (as) =>
        send(as, 'patch', `/api/admin/users/${alice.id}`, {
          json: { about_me: `patched ${as.column}` },
        }),
      expected: adminApi('200'),
      verify: async (as) => {
        expect([as.column, (await aboutMeOf(alice)) === `patched ${as.column}`]).toEqual([
          as.column,
          as.column === 'admin/bearer',
        ]);
      },
    },
    {
      route: 'PATCH /api/admin/users/:id (own) {role: admin}',
      // A user's token can't promote itself.
      call: (as) =>
        send(as, 'patch', `/api/admin/users/${as.user?.id ?? alice.id}`, {
          json: { role: 'admin' },
        }),
      expected: adminApi('200'),
      verify: async () => {
        expect(await users().countBy({ role: Role.Admin })).toBe(1);
      },
    },
    {
      route: "GET /api/admin/messages?recipient=(alice's id)",
      call: (as) => send(as, 'get', `/api/admin/messages?recipient=${alice.id}`),
      expected: adminApi('200'),
      verify: (as, res) => {
        expect([as.column, res.text.includes('for alice only')]).toEqual([
          as.column,
          as.column === 'admin/bearer',
        ]);
      },
    },
    {
      route: "DELETE /api/admin/messages/:id (alice's)",
      call: async (as) => {
        const message = await t.app.get(MessagesService).send(bob, alice, `to delete ${as.column}`);
        return send(as, 'delete', `/api/admin/messages/${message.id}`);
      },
      expected: adminApi('204'),
      verify: async (as) => {
        expect([as.column, await messages().countBy({ body: `to delete ${as.column}` })]).toEqual([
          as.column,
          as.column === 'admin/bearer' ? 0 : 1,
        ]);
      },
    },
    {
      route: 'GET /api/admin/notifications',
      call: get('/api/admin/notifications'),
      expected: adminApi('200'),
    },
    {
      route: 'POST /api/admin/notifications',
      call: (as) =>
        send(as, 'post', '/api/admin/notifications', {
          json: { user: alice.id, name: `matrix_${COLUMNS.indexOf(as.column)}`, data: {} },
        }),
      expected: adminApi('201'),
      verify: async (as) => {
        const stored = await t.dataSource
          .getRepository(Notification)
          .countBy({ name: `matrix_${COLUMNS.indexOf(as.column)}` });
        expect([as.column, stored]).toEqual([as.column, as.column === 'admin/bearer' ? 1 : 0]);
      },
    },
    {
      route: 'GET /api/admin/posts',
      call: get('/api/admin/posts'),
      expected: adminApi('200'),
      verify: (as, res) => {
        // The list is the admin's: nobody else reads it, whatever the posts' audience.
        expect([as.column, res.text.includes('alice posts for everyone')]).toEqual([
          as.column,
          as.column === 'admin/bearer',
        ]);
      },
    },
    {
      route: "GET /api/admin/posts?author=(alice's id)&q=everyone",
      call: (as) => send(as, 'get', `/api/admin/posts?author=${alice.id}&q=everyone`),
      expected: adminApi('200'),
      verify: (as, res) => {
        if (as.column === 'admin/bearer') {
          const body = res.text ? (JSON.parse(res.text) as { items: { id: number }[] }) : null;
          expect(body?.items.map((p) => p.id)).toEqual([alicesPost.id]);
        }
      },
    },
    {
      route: "DELETE /api/admin/posts/:id (alice's)",
      call: async (as) => {
        const post = await t.app.get(PostsService).create(alice, `moderated ${as.column}`);
        return send(as, 'delete', `/api/admin/posts/${post.id}`);
      },
      expected: adminApi('204'),
      verify: async (as) => {
        expect([as.column, await posts().countBy({ body: `moderated ${as.column}` })]).toEqual([
          as.column,
          as.column === 'admin/bearer' ? 0 : 1,
        ]);
      },
    },
    {
      route: 'DELETE /api/admin/posts/:id (unknown)',
      call: (as) => send(as, 'delete', '/api/admin/posts/2147483647'),
      expected: adminApi('404'),
    },
    {
      route: 'GET /api/admin/stats',
      call: get('/api/admin/stats'),
      expected: adminApi('200'),
    },
    // Notification email's unsubscribe link: public (a mail client posts to it with no cookies),
    // the signed token is the only thing that decides, whoever calls.
    {
      route: "GET /unsubscribe/:token (alice's link)",
      call: async (as) => {
        await resetEmailChoices();
        return send(as, 'get', `/unsubscribe/${unsubscribeToken(alice)}`);
      },
      expected: everyone('200'),
      verify: async (as) => {
        // Only a question: nothing changes on a GET.
        expect([as.column, await emailChoicesOf(alice)]).toEqual([as.column, EMAIL_DEFAULTS]);
      },
    },
    {
      route: "POST /unsubscribe/:token (alice's link)",
      call: async (as) => {
        await resetEmailChoices();
        return send(as, 'post', `/unsubscribe/${unsubscribeToken(alice)}`, {
          form: { 'List-Unsubscribe': 'One-Click' },
        });
      },
      expected: everyone('200'),
      verify: async (as) => {
        // Alice's emails off, whoever followed her link; nobody else's.
        const checks = [await emailChoicesOf(alice), await emailChoicesOf(bob)];
        expect([as.column, checks]).toEqual([as.column, [EMAIL_OFF, EMAIL_DEFAULTS]]);
      },
    },
    {
      route: "POST /unsubscribe/:token (alice's link, bob's id)",
      call: async (as) => {
        await resetEmailChoices();
        const token = unsubscribeToken(alice);
        return send(as, 'post', `/unsubscribe/${bob.id}${token.slice(token.indexOf('.'))}`, {
          form: { 'List-Unsubscribe': 'One-Click' },
        });
      },
      expected: everyone('400'),
      verify: async (as) => {
        const checks = [await emailChoicesOf(alice), await emailChoicesOf(bob)];
        expect([as.column, checks]).toEqual([as.column, [EMAIL_DEFAULTS, EMAIL_DEFAULTS]]);
      },
    },
    {
      route: 'GET /unsubscribe/:token (not a token)',
      call: get('/unsubscribe/nothing-signed'),
      expected: everyone('400'),
    },
    {
      route: 'GET /no-such-page',
      call: get('/no-such-page'),
      expected: everyone('404'),
    },
    {
      route: 'GET /api/no-such-route',
      call: get('/api/no-such-route'),
      expected: everyone('404'),
    },
  ];

  it.each(rows.map((row) => [row.route, row]))(
    'should answer %s as the table says, for every caller',
    async (_route, row) => {
      const observed: Record<string, string> = {};
      // Every cell runs, whatever an earlier one showed; the table is compared first.
      const failedChecks: unknown[] = [];
      for (const column of COLUMNS) {
        const as = await callerFor(column);
        const res = await row.call(as);
        seen.push({ route: row.route, column, status: res.status });
        observed[column] = summary(res);
        await Promise.resolve()
          .then(() => row.verify?.(as, res))
          .catch((error: unknown) => failedChecks.push(error));
      }
      const expected = typeof row.expected === 'function' ? row.expected() : row.expected;
      expect(observed).toEqual(Object.fromEntries(COLUMNS.map((c, i) => [c, expected[i]])));
      if (failedChecks.length > 0) {
        throw failedChecks[0];
      }
    },
  );

  it('should have answered every cell, none with a 5xx', () => {
    expect(seen).toHaveLength(rows.length * COLUMNS.length);
    expect(seen.filter((cell) => cell.status >= 500)).toEqual([]);
  });
});
