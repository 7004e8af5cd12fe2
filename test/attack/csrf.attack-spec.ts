import request from 'supertest';
import { EmailToken } from '../../src/auth/email-token.entity';
import { EmailTokensService } from '../../src/auth/email-tokens.service';
import { PasswordResetService } from '../../src/auth/password-reset.service';
import { Session } from '../../src/auth/session.entity';
import { Block } from '../../src/blocks/block.entity';
import { UnsubscribeLinks } from '../../src/digests/unsubscribe-links';
import { Follow } from '../../src/follows/follow.entity';
import { FollowsService } from '../../src/follows/follows.service';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { NotificationGroup } from '../../src/notifications/notification-group.entity';
import { Notification } from '../../src/notifications/notification.entity';
import { Post } from '../../src/posts/post.entity';
import { PostsService } from '../../src/posts/posts.service';
import { User } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { createTestApp, TestApp } from '../utils/test-app';
import { newCsrfIdentity, setCookiesOf } from './attack-helpers';

const REFUSAL = 'The form has expired or was not sent from this site.';
const EVIL = 'https://evil.example';

/** A state-changing form of the site, and what a forged submission of it would do. */
interface Form {
  /** Where it posts (its name, with :id where the path holds an id). */
  action: string;
  /** The path it posts to now, when that holds an id (see prepare). */
  path?: () => string;
  /** What must be there for a submission to change something (a block, a message). */
  prepare?: (t: TestApp) => Promise<void>;
  /** The page that carries the form (and the browser's token). */
  page: string;
  /** Whether its victim is logged in (logout, profile, messages) or not (login CSRF). */
  loggedIn: boolean;
  /** Fields that would change something if the post were accepted. */
  fields: () => Record<string, string>;
  /** The answer to a GET of the action with those fields in the query. */
  getStatus: number;
}

let registrations = 0;
const FORMS: Form[] = [
  {
    action: '/auth/login',
    page: '/auth/login',
    loggedIn: false,
    // Login CSRF: the victim's browser logged into the attacker's account.
    fields: () => ({ username: 'mallory', password: DEFAULT_PASSWORD }),
    getStatus: 200,
  },
  {
    action: '/auth/register',
    page: '/auth/register',
    loggedIn: false,
    fields: () => {
      const username = `planted${++registrations}`;
      return {
        username,
        email: `${username}@example.com`,
        password: 'cat-on-the-mat',
        password2: 'cat-on-the-mat',
      };
    },
    getStatus: 200,
  },
  {
    action: '/auth/logout',
    page: '/edit_profile',
    loggedIn: true,
    fields: () => ({}),
    getStatus: 404,
  },
  {
    action: '/auth/logout_everywhere',
    page: '/edit_profile',
    loggedIn: true,
    fields: () => ({}),
    getStatus: 404,
  },
  {
    action: '/edit_profile',
    page: '/edit_profile',
    loggedIn: true,
    fields: () => ({ username: 'hacked', about_me: 'pwned by a forged form' }),
    getStatus: 200,
  },
  {
    action: '/send_message/bob',
    page: '/send_message/bob',
    loggedIn: true,
    fields: () => ({ message: 'forged message' }),
    getStatus: 200,
  },
  {
    action: '/user/bob/block',
    page: '/user/bob',
    loggedIn: true,
    fields: () => ({ next: '/blocked' }),
    getStatus: 404,
  },
  {
    action: '/user/bob/unblock',
    page: '/blocked',
    loggedIn: true,
    prepare: async (t) => {
      const [alice, bob] = await usersNamed(t, 'alice', 'bob');
      await t.dataSource
        .getRepository(Block)
        .save({ blockerId: alice.id, blockedId: bob.id, createdAt: new Date() });
    },
    fields: () => ({ next: '/blocked' }),
    getStatus: 404,
  },
  {
    action: '/messages/:id/delete',
    path: () => `/messages/${deletableId}/delete`,
    page: '/conversations/bob',
    loggedIn: true,
    prepare: async (t) => {
      const [alice, bob] = await usersNamed(t, 'alice', 'bob');
      deletableId = (await t.app.get(MessagesService).send(alice, bob, 'delete me')).id;
    },
    fields: () => ({}),
    getStatus: 404,
  },
  {
    action: '/posts',
    page: '/',
    loggedIn: true,
    // A post in the victim's name, mentioning someone (a notification too).
    fields: () => ({ post: 'forged post @bob https://evil.example/' }),
    getStatus: 404,
  },
  {
    action: '/posts/:id/delete',
    path: () => `/posts/${deletablePostId}/delete`,
    page: '/',
    loggedIn: true,
    prepare: async (t) => {
      const [alice] = await usersNamed(t, 'alice');
      deletablePostId = (await t.app.get(PostsService).create(alice, 'delete this post')).id;
    },
    fields: () => ({ next: '/explore' }),
    getStatus: 404,
  },
  {
    action: '/user/bob/follow',
    page: '/user/bob',
    loggedIn: true,
    fields: () => ({ next: '/user/bob/followers' }),
    getStatus: 404,
  },
  {
    action: '/user/bob/unfollow',
    page: '/user/bob',
    loggedIn: true,
    prepare: async (t) => {
      const [alice, bob] = await usersNamed(t, 'alice', 'bob');
      await t.app.get(FollowsService).follow(alice, bob);
    },
    fields: () => ({ next: '/user/bob/followers' }),
    getStatus: 404,
  },
  {
    action: '/notifications/preferences',
    page: '/edit_profile',
    loggedIn: true,
    // Silences every notification but messages, and takes those from followed people only.
    fields: () => ({ notify_messages: 'on', messages_from_following_only: 'on' }),
    getStatus: 404,
  },
  // Password reset and the email address.
  {
    action: '/auth/forgot_password',
    page: '/auth/forgot_password',
    loggedIn: false,
    // A reset email to the victim, planted by another site.
    fields: () => ({ email: 'alice@example.com' }),
    getStatus: 200,
  },
  {
    action: '/auth/reset_password/:link',
    path: () => `/auth/reset_password/${resetLink}`,
    // The form the link opens, for a link of alice's own.
    get page() {
      return `/auth/reset_password/${resetLink}`;
    },
    loggedIn: false,
    prepare: async (t) => {
      const [alice] = await usersNamed(t, 'alice');
      resetLink = await t.dataSource.transaction((manager) =>
        t.app.get(EmailTokensService).issue(manager, alice, 'password_reset', 1_800_000),
      );
    },
    fields: () => ({ password: 'chosen by the attacker', password2: 'chosen by the attacker' }),
    getStatus: 200,
  },
  {
    action: '/edit_profile/email',
    page: '/edit_profile/email',
    loggedIn: true,
    // The account's address moved to the attacker's (the password known, the token not).
    fields: () => ({ email: 'hijacked@evil.example', current_password: DEFAULT_PASSWORD }),
    getStatus: 200,
  },
  {
    action: '/edit_profile/email/confirmation',
    page: '/edit_profile',
    loggedIn: true,
    fields: () => ({}),
    getStatus: 404,
  },
];

/** The message the delete form names, stored by its prepare. */
let deletableId = 0;
/** The post the post delete form names, stored by its prepare. */
let deletablePostId = 0;
/** The reset link of alice's that the reset form posts to, made by its prepare. */
let resetLink = '';

function usersNamed(t: TestApp, ...names: string[]): Promise<User[]> {
  return Promise.all(
    names.map((username) => t.dataSource.getRepository(User).findOneByOrFail({ username })),
  );
}

const pathOf = (form: Form) => form.path?.() ?? form.action;

/** A new account's notification preferences. */
const DEFAULT_PREFERENCES = {
  notifyFollows: true,
  notifyMentions: true,
  notifyMessages: false,
  notifyAnnouncements: true,
  mentionsFromFollowingOnly: false,
  messagesFromFollowingOnly: false,
};

describe('Attack: cross-site request forgery on every form', () => {
  let t: TestApp;
  let alice: User;

  beforeAll(async () => {
    t = await createTestApp();
    alice = await createUser(t.app, 'alice');
    await createUser(t.app, 'bob');
    await createUser(t.app, 'mallory');
  });

  afterAll(() => t.close());

  /** Alice as she was, after a submission that went through, and nobody blocked. */
  const restoreAlice = async () => {
    await t.dataSource.getRepository(User).update(
      { id: alice.id },
      {
        username: 'alice',
        aboutMe: null,
        ...DEFAULT_PREFERENCES,
        email: 'alice@example.com',
        passwordHash: alice.passwordHash,
        passwordChangedAt: null,
        emailConfirmedAt: null,
      },
    );
    await t.dataSource.createQueryBuilder().delete().from(Block).execute();
    for (const follow of await t.dataSource
      .getRepository(Follow)
      .find({ relations: { follower: true, followed: true } })) {
      await t.app.get(FollowsService).unfollow(follow.follower, follow.followed);
    }
  };

  /** Everything a forged form could change: accounts, sessions, messages, alice's profile. */
  async function snapshot() {
    // A reset link is made after the answer (PasswordResetService.request).
    await t.app.get(PasswordResetService).idle();
    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id });
    return {
      users: await t.dataSource.getRepository(User).count(),
      emailTokens: await t.dataSource.getRepository(EmailToken).count(),
      credentials: { email: stored.email, passwordHash: stored.passwordHash },
      sessions: (await t.dataSource.getRepository(Session).find())
        .map((s) => `${s.userId}:${s.id}`)
        .sort(),
      messages: await t.dataSource.getRepository(Message).count(),
      notifications: await t.dataSource.getRepository(Notification).count(),
      blocks: (await t.dataSource.getRepository(Block).find())
        .map((b) => `${b.blockerId}:${b.blockedId}`)
        .sort(),
      posts: (await t.dataSource.getRepository(Post).find())
        .map((p) => `${p.authorId}:${p.id}`)
        .sort(),
      follows: (await t.dataSource.getRepository(Follow).find())
        .map((f) => `${f.followerId}:${f.followedId}`)
        .sort(),
      notificationGroups: await t.dataSource.getRepository(NotificationGroup).count(),
      alice: {
        username: stored.username,
        aboutMe: stored.aboutMe,
        postsCount: stored.postsCount,
        followingCount: stored.followingCount,
        preferences: Object.fromEntries(
          Object.keys(DEFAULT_PREFERENCES).map((key) => [key, stored[key as keyof User]]),
        ),
      },
    };
  }

  /**
   * A browser of alice's (logged in for forms that need it) that has loaded the form, with
   * what the form acts on in place.
   */
  async function victimFor(form: Form) {
    await restoreAlice();
    await form.prepare?.(t);
    const browser = new BrowserSession(t.app);
    const login = form.loggedIn ? await browser.login('alice', DEFAULT_PASSWORD) : null;
    const token = csrfTokenOf((await browser.get(form.page)).text);
    return { browser, token, authCookie: login ? BrowserSession.authCookieOf(login) : null };
  }

  /**
   * Another browser's CSRF identity (its cookies and the token its pages carry): an anonymous
   * visitor's, or mallory's while she is logged in.
   */
  async function attacker(loggedIn: boolean) {
    const server = t.app.getHttpServer();
    const identity = await newCsrfIdentity(t.app);
    if (!loggedIn) {
      return identity;
    }
    const login = await request(server)
      .post('/auth/login')
      .set('Cookie', identity.cookie)
      .type('form')
      .send({ csrf_token: identity.token, username: 'mallory', password: DEFAULT_PASSWORD });
    const auth = `mb_token=${setCookiesOf(login).mb_token}`;
    const page = await request(server)
      .get('/edit_profile')
      .set('Accept', 'text/html')
      .set('Cookie', `${identity.cookie}; ${auth}`);
    expect(page.status).toBe(200);
    return { cookie: identity.cookie, token: csrfTokenOf(page.text) };
  }

  const tamper = (token: string) => {
    const i = token.indexOf('.') - 1;
    return `${token.slice(0, i)}${token[i] === '0' ? '1' : '0'}${token.slice(i + 1)}`;
  };

  describe.each(FORMS.map((form) => [form.action, form]))('%s', (_action, form) => {
    it('should refuse every forged submission with 403 and change nothing', async () => {
      const victim = await victimFor(form);
      const stranger = await attacker(false);
      const mallory = await attacker(true);
      const post = (path = pathOf(form)) =>
        victim.browser.agent.post(path).set('Accept', 'text/html');
      const fields = form.fields();
      const variants: [string, () => request.Test][] = [
        ['no token', () => post().type('form').send(fields)],
        [
          'an empty token',
          () =>
            post()
              .type('form')
              .send({ ...fields, csrf_token: '' }),
        ],
        [
          "another browser's token",
          () =>
            post()
              .type('form')
              .send({ ...fields, csrf_token: stranger.token }),
        ],
        [
          "a token from another user's logged-in session",
          () =>
            post()
              .type('form')
              .send({ ...fields, csrf_token: mallory.token }),
        ],
        [
          "the victim's token with one character changed",
          () =>
            post()
              .type('form')
              .send({ ...fields, csrf_token: tamper(victim.token) }),
        ],
        [
          "the victim's signature with another random part",
          () =>
            post()
              .type('form')
              .send({
                ...fields,
                csrf_token: `${victim.token.split('.')[0]}.${stranger.token.split('.')[1]}`,
              }),
        ],
        [
          "another browser's signature with the victim's random part",
          () =>
            post()
              .type('form')
              .send({
                ...fields,
                csrf_token: `${stranger.token.split('.')[0]}.${victim.token.split('.')[1]}`,
              }),
        ],
        [
          "the victim's token in the query string (not a place tokens are read from)",
          () =>
            post(`${pathOf(form)}?csrf_token=${encodeURIComponent(victim.token)}`)
              .type('form')
              .send(fields),
        ],
        [
          "the victim's token twice (a repeated field)",
          () =>
            post()
              .type('form')
              .send(
                new URLSearchParams([
                  ...Object.entries(fields),
                  ['csrf_token', victim.token],
                  ['csrf_token', victim.token],
                ]).toString(),
              ),
        ],
        [
          "another browser's token in the X-CSRF-Token header",
          () => post().set('X-CSRF-Token', stranger.token).type('form').send(fields),
        ],
        [
          "mallory's token in the header and the body",
          () =>
            post()
              .set('X-CSRF-Token', mallory.token)
              .type('form')
              .send({ ...fields, csrf_token: mallory.token }),
        ],
        [
          'a cross-site Origin and Referer, with the attacker page’s own token',
          () =>
            post()
              .set('Origin', EVIL)
              .set('Referer', `${EVIL}/csrf.html`)
              .type('form')
              .send({ ...fields, csrf_token: stranger.token }),
        ],
        [
          "the victim's own token on a request the browser marks Sec-Fetch-Site: cross-site",
          () =>
            post()
              .set('Sec-Fetch-Site', 'cross-site')
              .type('form')
              .send({ ...fields, csrf_token: victim.token }),
        ],
        [
          'a cross-site Origin of "null" (sandboxed frame), no token',
          () => post().set('Origin', 'null').type('form').send(fields),
        ],
        [
          'this site as Origin and Referer, no token (headers are not trusted)',
          () =>
            post()
              .set('Origin', 'http://127.0.0.1')
              .set('Referer', `http://127.0.0.1${form.page}`)
              .type('form')
              .send(fields),
        ],
        [
          'a text/plain body (a cross-site form with enctype=text/plain)',
          () =>
            post()
              .set('Content-Type', 'text/plain')
              .send(new URLSearchParams({ ...fields, csrf_token: stranger.token }).toString()),
        ],
        [
          'a multipart body',
          () => {
            let req = post().field('csrf_token', stranger.token);
            for (const [name, value] of Object.entries(fields)) {
              req = req.field(name, value);
            }
            return req;
          },
        ],
        [
          "a JSON body with another browser's token",
          () => post().send({ ...fields, csrf_token: stranger.token }),
        ],
        [
          'a method override to GET, no token',
          () =>
            post()
              .set('X-HTTP-Method-Override', 'GET')
              .type('form')
              .send({ ...fields, _method: 'GET' }),
        ],
      ];

      const before = await snapshot();
      const outcomes: [string, number, boolean, boolean][] = [];
      for (const [variant, send] of variants) {
        const res = await send();
        outcomes.push([
          variant,
          res.status,
          res.text.includes(REFUSAL),
          // No login or logout happened: the auth cookie was neither set nor cleared.
          setCookiesOf(res).mb_token !== undefined,
        ]);
      }
      expect(outcomes).toEqual(variants.map(([variant]) => [variant, 403, true, false]));
      await expect(snapshot()).resolves.toEqual(before);
    });

    it('should change nothing on a GET that carries the fields', async () => {
      const victim = await victimFor(form);
      const before = await snapshot();
      const query = new URLSearchParams(form.fields()).toString();
      const get = await victim.browser.get(`${pathOf(form)}?${query}`);
      const head = await victim.browser.agent.head(`${pathOf(form)}?${query}`);
      expect([get.status, head.status]).toEqual([form.getStatus, form.getStatus]);
      expect(setCookiesOf(get).mb_token).toBeUndefined();
      await expect(snapshot()).resolves.toEqual(before);
    });

    it("should accept the victim's own token, in the body or the X-CSRF-Token header", async () => {
      // The controls: the refusals above come from the token check, not from the form.
      for (const place of ['body', 'header'] as const) {
        const victim = await victimFor(form);
        const before = await snapshot();
        let req = victim.browser.agent.post(pathOf(form)).set('Accept', 'text/html');
        if (place === 'header') {
          req = req.set('X-CSRF-Token', victim.token);
        }
        // A form the page itself submits: the browser says same-origin.
        const res = await req
          .set('Sec-Fetch-Site', 'same-origin')
          .type('form')
          .send(place === 'body' ? { ...form.fields(), csrf_token: victim.token } : form.fields());
        expect([place, res.status]).toEqual([place, 302]);
        expect(await snapshot()).not.toEqual(before);
        await restoreAlice();
      }
    });
  });

  it("should refuse mallory's complete CSRF identity (her id and token cookies and her token) with alice's login, on every form", async () => {
    // Mallory has planted her own mb_sid and mb_csrf cookies in alice's browser: a sibling
    // subdomain, or any plain-HTTP response for the host, can set cookies for the site (they
    // are neither Secure nor __Host-). A token must belong to the login it is used with.
    const outcomes: Record<string, { status: number; changed: boolean }> = {};
    for (const form of FORMS.filter((f) => f.loggedIn)) {
      const victim = await victimFor(form);
      const mallory = await attacker(true);
      const before = await snapshot();
      const res = await request(t.app.getHttpServer())
        .post(pathOf(form))
        .set('Accept', 'text/html')
        .set('Cookie', `${mallory.cookie}; ${victim.authCookie}`)
        .type('form')
        .send({ ...form.fields(), csrf_token: mallory.token });
      const after = await snapshot();
      outcomes[form.action] = {
        status: res.status,
        changed: JSON.stringify(after) !== JSON.stringify(before),
      };
      await restoreAlice();
    }
    expect(outcomes).toEqual({
      '/auth/logout': { status: 403, changed: false },
      '/auth/logout_everywhere': { status: 403, changed: false },
      '/edit_profile': { status: 403, changed: false },
      '/send_message/bob': { status: 403, changed: false },
      '/user/bob/block': { status: 403, changed: false },
      '/user/bob/unblock': { status: 403, changed: false },
      '/messages/:id/delete': { status: 403, changed: false },
      '/posts': { status: 403, changed: false },
      '/posts/:id/delete': { status: 403, changed: false },
      '/user/bob/follow': { status: 403, changed: false },
      '/user/bob/unfollow': { status: 403, changed: false },
      '/notifications/preferences': { status: 403, changed: false },
      '/edit_profile/email': { status: 403, changed: false },
      '/edit_profile/email/confirmation': { status: 403, changed: false },
    });
    // A login per form: more than the default time on a busy machine.
  }, 120_000);
});

/**
 * The one form that takes no CSRF token, by design: the unsubscribe link of notification email
 * (POST /unsubscribe/:token). RFC 8058 one-click unsubscribe has the mail client post
 * `List-Unsubscribe=One-Click` to the link with no cookies at all, so there is no token to
 * check; the link is HMAC-signed for one account instead, so a forged request can only do what
 * the owner of a genuine link can (turn that account's emails off), and an altered link is
 * refused. These cases pin that down: what a forged form can't do elsewhere, it can't do here
 * without the signed link either.
 */
describe('Attack: cross-site requests to the unsubscribe link (CSRF-exempt by design)', () => {
  let t: TestApp;
  let alice: User;
  let link: string;
  const EMAIL_ON = { emailFollows: true, emailMentions: true, emailMessages: true };
  const emailChoices = async () => {
    const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id });
    return {
      emailFollows: row.emailFollows,
      emailMentions: row.emailMentions,
      emailMessages: row.emailMessages,
    };
  };

  beforeAll(async () => {
    t = await createTestApp();
    alice = await createUser(t.app, 'alice');
    link = `/unsubscribe/${t.app.get(UnsubscribeLinks).token({ userId: alice.id, scope: 'all' })}`;
  });

  afterAll(() => t.close());

  beforeEach(() => t.dataSource.getRepository(User).update({ id: alice.id }, EMAIL_ON));

  const crossSite = (path: string) =>
    request(t.app.getHttpServer())
      .post(path)
      .set('Origin', EVIL)
      .set('Referer', `${EVIL}/csrf.html`)
      .set('Sec-Fetch-Site', 'cross-site');

  it.each([
    [
      'a one-click POST from a mail client (no cookies, no token)',
      (path: string) =>
        request(t.app.getHttpServer()).post(path).type('form').send('List-Unsubscribe=One-Click'),
    ],
    [
      'a cross-site form with no token',
      (path: string) => crossSite(path).type('form').send({ 'List-Unsubscribe': 'One-Click' }),
    ],
    [
      'a cross-site text/plain body',
      (path: string) =>
        crossSite(path).set('Content-Type', 'text/plain').send('List-Unsubscribe=One-Click'),
    ],
  ])(
    "should accept %s with the signed link: only that account's emails go off",
    async (_name, post) => {
      const res = await post(link);
      expect(res.status).toBe(200);
      await expect(emailChoices()).resolves.toEqual({
        emailFollows: false,
        emailMentions: false,
        emailMessages: false,
      });
    },
  );

  it('should refuse the same requests with 400 when the link was altered, changing nothing', async () => {
    const [id, , signature] = link.slice('/unsubscribe/'.length).split('.');
    const altered = [
      `/unsubscribe/${id}.messages.${signature}`,
      `/unsubscribe/${Number(id) + 1}.all.${signature}`,
      `/unsubscribe/${id}.all.${'A'.repeat(43)}`,
    ];
    const statuses = [];
    for (const path of altered) {
      statuses.push((await crossSite(path).type('form').send('List-Unsubscribe=One-Click')).status);
    }
    expect(statuses).toEqual([400, 400, 400]);
    await expect(emailChoices()).resolves.toEqual(EMAIL_ON);
  });

  it('should change nothing on a GET of the link (scanners and previews open links)', async () => {
    const get = await request(t.app.getHttpServer())
      .get(`${link}?List-Unsubscribe=One-Click`)
      .set('Accept', 'text/html');
    const head = await request(t.app.getHttpServer()).head(link);
    expect([get.status, head.status]).toEqual([200, 200]);
    await expect(emailChoices()).resolves.toEqual(EMAIL_ON);
  });
});
