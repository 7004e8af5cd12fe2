import fc from 'fast-check';
import request from 'supertest';
import { IsNull, Not } from 'typeorm';
import { AuthService } from '../../src/auth/auth.service';
import { EmailToken } from '../../src/auth/email-token.entity';
import { EmailTokensService } from '../../src/auth/email-tokens.service';
import { PasswordResetService } from '../../src/auth/password-reset.service';
import { UnsubscribeLinks } from '../../src/digests/unsubscribe-links';
import { Follow } from '../../src/follows/follow.entity';
import { Message } from '../../src/messages/message.entity';
import { NotificationGroup } from '../../src/notifications/notification-group.entity';
import { Notification } from '../../src/notifications/notification.entity';
import { Post } from '../../src/posts/post.entity';
import { Role, User } from '../../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from '../factories/user.factory';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { createTestApp, TestApp } from '../utils/test-app';

/** Control characters a form can carry (URL-encoded forms can't carry lone surrogates). */
const CONTROL = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u0008',
  '\u000b',
  '\u000c',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
];
/** UTF-16 halves without their pair: only JSON ("\ud800") can carry them. */
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

const controlChar = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .filter((code) => code !== 0x09 && code !== 0x0a && code !== 0x0d)
  .map((code) => String.fromCharCode(code));
const junkChar = fc.oneof(
  controlChar,
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
);
/** Clean text with one junk character somewhere inside. */
const withJunk = (junk: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
      junk,
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
    )
    .map(([before, bad, after]) => `x${before}${bad}${after}`);

/** Finding 10: text with control characters or lone surrogates is refused with 400, never stored. */
describe('Attack: junk characters in text input', () => {
  let t: TestApp;
  let susan: User;
  let john: User;
  let browser: BrowserSession;
  let bearer: string;

  const users = () => t.dataSource.getRepository(User);
  const aboutMeOf = async (user: User) => (await users().findOneByOrFail({ id: user.id })).aboutMe;
  const counts = async () => ({
    users: await users().count(),
    messages: await t.dataSource.getRepository(Message).count(),
    notifications: await t.dataSource.getRepository(Notification).count(),
    posts: await t.dataSource.getRepository(Post).count(),
    follows: await t.dataSource.getRepository(Follow).count(),
    notificationGroups: await t.dataSource.getRepository(NotificationGroup).count(),
  });

  beforeAll(async () => {
    t = await createTestApp();
    susan = await createUser(t.app, 'susan');
    john = await createUser(t.app, 'john');
    const admin = await createUser(t.app, 'root', { role: Role.Admin });
    bearer = `Bearer ${(await t.app.get(AuthService).issueToken(admin, false)).token}`;
    browser = new BrowserSession(t.app);
    await browser.login('susan', DEFAULT_PASSWORD);
  });

  beforeEach(async () => {
    await users().update({ id: susan.id }, { aboutMe: 'original', username: 'susan' });
  });

  afterAll(() => t.close());

  /** A form posted as JSON, which the form routes also parse: the way to send "\ud800". */
  async function submitJson(session: BrowserSession, page: string, action: string, body: object) {
    const form = await session.get(page);
    return session.agent
      .post(action)
      .set('Accept', 'text/html')
      .send({ csrf_token: csrfTokenOf(form.text), ...body });
  }

  /** The request is refused with 400 and the database is as it was. */
  async function expectRefused(send: () => Promise<request.Response>) {
    const before = await counts();
    const aboutMe = await aboutMeOf(susan);
    const res = await send();
    expect(res.status).toBe(400);
    await expect(counts()).resolves.toEqual(before);
    await expect(aboutMeOf(susan)).resolves.toBe(aboutMe);
    return res;
  }

  /** A registration that would succeed but for `junk` in one field (a new name each time). */
  let registrations = 0;
  function junkRegistrations(junk: string) {
    const name = () => `newbie${++registrations}`;
    const valid = () => {
      const username = name();
      return {
        username,
        email: `${username}@example.com`,
        password: 'cat-on-the-mat',
        password2: 'cat-on-the-mat',
      };
    };
    return [
      { ...valid(), username: `new${junk}bie${registrations}` },
      { ...valid(), email: `newbie${registrations}${junk}@example.com` },
      { ...valid(), password: `cat-on${junk}-the-mat`, password2: `cat-on${junk}-the-mat` },
    ];
  }

  describe('forms', () => {
    it.each(CONTROL.map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in every registration field',
      async (_name, c) => {
        const fresh = new BrowserSession(t.app);
        for (const fields of junkRegistrations(c)) {
          await expectRefused(() => fresh.submit('/auth/register', '/auth/register', fields));
        }
      },
    );

    it.each(LONE_SURROGATES.map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in every registration field sent as JSON',
      async (_name, c) => {
        const fresh = new BrowserSession(t.app);
        for (const fields of junkRegistrations(c)) {
          await expectRefused(() => submitJson(fresh, '/auth/register', '/auth/register', fields));
        }
      },
    );

    it('should refuse junk credentials with 400 and log nobody in', async () => {
      const fresh = new BrowserSession(t.app);
      for (const fields of [
        { username: 'susan\u0000', password: DEFAULT_PASSWORD },
        { username: 'susan', password: `${DEFAULT_PASSWORD}\u0000` },
      ]) {
        const res = await fresh.submit('/auth/login', '/auth/login', fields);
        expect(res.status).toBe(400);
        expect(String(res.headers['set-cookie'])).not.toContain('mb_token=');
      }
      const res = await submitJson(fresh, '/auth/login', '/auth/login', {
        username: 'susan',
        password: '\ud800',
      });
      expect(res.status).toBe(400);
    });

    it.each([...CONTROL, 'a\nb', 'a\tb'].map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in a username',
      async (_name, c) => {
        const res = await expectRefused(() =>
          browser.submit('/edit_profile', '/edit_profile', {
            username: `su${c}san`,
            about_me: 'x',
          }),
        );
        expect(res.text).toContain('data-error-for="username"');
      },
    );

    it.each(CONTROL.map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in about me, naming the field',
      async (_name, c) => {
        const res = await expectRefused(() =>
          browser.submit('/edit_profile', '/edit_profile', {
            username: 'susan',
            about_me: `a${c}b`,
          }),
        );
        expect(res.text).toContain(
          'data-error-for="about_me">Remove the control characters or broken Unicode characters.',
        );
      },
    );

    it.each(LONE_SURROGATES.map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in about me sent as JSON',
      async (_name, c) => {
        await expectRefused(() =>
          submitJson(browser, '/edit_profile', '/edit_profile', {
            username: 'susan',
            about_me: `a${c}b`,
          }),
        );
      },
    );

    it.each([...CONTROL, ...LONE_SURROGATES].map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in a message and store nothing',
      async (_name, c) => {
        await expectRefused(() =>
          submitJson(browser, '/send_message/john', '/send_message/john', { message: `hi${c}` }),
        );
        if (!LONE_SURROGATES.includes(c)) {
          await expectRefused(() =>
            browser.submit('/send_message/john', '/send_message/john', { message: `hi${c}` }),
          );
        }
      },
    );

    it('should keep line breaks, tabs and emoji in multi-line text', async () => {
      const text = 'line one\r\nline two\twith a tab 👍🏽 привет';
      const saved = await browser.submit('/edit_profile', '/edit_profile', {
        username: 'susan',
        about_me: text,
      });
      expect(saved.status).toBe(302);
      await expect(aboutMeOf(susan)).resolves.toBe(text);
      const sent = await browser.submit('/send_message/john', '/send_message/john', {
        message: text,
      });
      expect(sent.status).toBe(302);
      const message = await t.dataSource
        .getRepository(Message)
        .findOneByOrFail({ recipientId: john.id });
      expect(message.body).toBe(text);
      await t.dataSource.getRepository(Message).delete({ id: message.id });
      await t.dataSource.getRepository(Notification).clear();
    });

    it('should refuse any text with a junk character in about me and messages', async () => {
      await fc.assert(
        fc.asyncProperty(withJunk(controlChar), async (text) => {
          await expectRefused(() =>
            browser.submit('/edit_profile', '/edit_profile', { username: 'susan', about_me: text }),
          );
        }),
        { numRuns: 25 },
      );
      await fc.assert(
        fc.asyncProperty(withJunk(junkChar), async (text) => {
          await expectRefused(() =>
            submitJson(browser, '/send_message/john', '/send_message/john', { message: text }),
          );
        }),
        { numRuns: 25 },
      );
    });
  });

  describe('posts, follows and notification preferences', () => {
    const posts = () => t.dataSource.getRepository(Post);
    /** Susan's row as far as a form could change it beyond her preferences. */
    const susansAccount = async () => {
      const row = await users().findOneByOrFail({ id: susan.id });
      return {
        username: row.username,
        email: row.email,
        role: row.role,
        disabled: row.disabled,
        postsCount: row.postsCount,
        followersCount: row.followersCount,
        followingCount: row.followingCount,
        passwordHash: row.passwordHash,
      };
    };

    afterEach(async () => {
      for (const entity of [NotificationGroup, Post, Follow]) {
        await t.dataSource.createQueryBuilder().delete().from(entity).execute();
      }
    });

    it.each(CONTROL.map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in a post, naming the field, and store nothing',
      async (_name, c) => {
        const res = await expectRefused(() => browser.submit('/', '/posts', { post: `hi${c}` }));
        expect(res.text).toContain('data-error-for="post"');
        await expectRefused(() => submitJson(browser, '/', '/posts', { post: `hi ${c} @john` }));
      },
    );

    it.each(LONE_SURROGATES.map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in a post sent as JSON',
      async (_name, c) => {
        await expectRefused(() => submitJson(browser, '/', '/posts', { post: `a${c}b` }));
      },
    );

    /** What people count as one character, and what the column counts. */
    const LENGTHS: [string, string, number][] = [
      ['140 ASCII letters', 'x'.repeat(140), 302],
      ['141 ASCII letters', 'x'.repeat(141), 400],
      ['140 Cyrillic letters', 'ж'.repeat(140), 302],
      ['141 Cyrillic letters', 'ж'.repeat(141), 400],
      ['140 emoji with a skin tone (2 code points each)', '👍🏽'.repeat(140), 302],
      ['141 emoji with a skin tone', '👍🏽'.repeat(141), 400],
      ['140 families (7 code points each, 980 in all)', '👨‍👩‍👧‍👦'.repeat(140), 302],
      ['141 families', '👨‍👩‍👧‍👦'.repeat(141), 400],
      ['140 flags', '🇺🇦'.repeat(140), 302],
      ['141 flags', '🇺🇦'.repeat(141), 400],
      ['140 letters with a combining accent', 'e\u0301'.repeat(140), 302],
      ['141 letters with a combining accent', 'e\u0301'.repeat(141), 400],
      [
        'one letter under 1000 combining marks (more than the column holds)',
        `x${'\u0301'.repeat(1000)}`,
        400,
      ],
      ['140 letters between spaces and line breaks (trimmed)', ` \n\t${'y'.repeat(140)}\r\n `, 302],
      ['140 letters and a line break in the middle', `${'z'.repeat(70)}\n${'z'.repeat(69)}`, 302],
      ['nothing', '', 400],
      ['spaces and line breaks only', ' \n\r\n\t ', 400],
    ];

    it.each(LENGTHS)(
      'should answer a post of %s as the limit says',
      async (_name, text, status) => {
        const before = await counts();
        const res = await browser.submit('/', '/posts', { post: text });
        expect(res.status).toBe(status);
        const stored = await posts().findBy({ authorId: susan.id });
        if (status === 302) {
          expect(stored.map((p) => p.body)).toEqual([text.trim()]);
        } else {
          expect(res.text).toContain('data-error-for="post"');
          await expect(counts()).resolves.toEqual(before);
        }
      },
    );

    /** A body that is not one string where the form has one. */
    const NOT_A_STRING: [string, () => Promise<request.Response>][] = [
      [
        'a repeated field (post=a&post=b)',
        async () => {
          const token = csrfTokenOf((await browser.get('/')).text);
          return browser.agent
            .post('/posts')
            .set('Accept', 'text/html')
            .type('form')
            .send(`csrf_token=${encodeURIComponent(token)}&post=one&post=two`);
        },
      ],
      [
        'an array-style field (post[]=a)',
        async () => {
          const token = csrfTokenOf((await browser.get('/')).text);
          return browser.agent
            .post('/posts')
            .set('Accept', 'text/html')
            .type('form')
            .send(`csrf_token=${encodeURIComponent(token)}&post%5B%5D=one&post%5Bx%5D=two`);
        },
      ],
      ['a JSON array', () => submitJson(browser, '/', '/posts', { post: ['one', 'two'] })],
      ['a JSON array of one', () => submitJson(browser, '/', '/posts', { post: ['one'] })],
      ['a JSON object', () => submitJson(browser, '/', '/posts', { post: { toString: 'x' } })],
      ['a JSON number', () => submitJson(browser, '/', '/posts', { post: 123 })],
      ['a JSON boolean', () => submitJson(browser, '/', '/posts', { post: true })],
      ['JSON null', () => submitJson(browser, '/', '/posts', { post: null })],
    ];

    it.each(NOT_A_STRING)(
      'should refuse %s as a post with 400, storing nothing',
      async (_name, send) => {
        const res = await expectRefused(send);
        expect(res.text).toContain('data-error-for="post"');
      },
    );

    it('should refuse a post nested a thousand arrays deep with 400 (before the form is read), storing nothing', async () => {
      const deep = JSON.parse(`${'['.repeat(1000)}"x"${']'.repeat(1000)}`) as unknown;
      await expectRefused(() => submitJson(browser, '/', '/posts', { post: deep }));
    });

    it('should follow with a junk next (repeated, array-style, object) and go back to the profile', async () => {
      const token = csrfTokenOf((await browser.get('/user/john')).text);
      const bodies = [
        `csrf_token=${encodeURIComponent(token)}&next=%2Fexplore&next=%2Fmessages`,
        `csrf_token=${encodeURIComponent(token)}&next%5B%5D=%2Fexplore`,
      ];
      const outcomes = [];
      for (const [i, body] of bodies.entries()) {
        const action = i % 2 ? '/user/john/unfollow' : '/user/john/follow';
        const res = await browser.agent
          .post(action)
          .set('Accept', 'text/html')
          .type('form')
          .send(body);
        outcomes.push([action, res.status, res.headers.location]);
      }
      const json = await submitJson(browser, '/user/john', '/user/john/follow', {
        next: { toString: '/explore' },
      });
      outcomes.push(['json', json.status, json.headers.location]);
      expect(outcomes).toEqual([
        ['/user/john/follow', 302, '/user/john'],
        ['/user/john/unfollow', 302, '/user/john'],
        ['json', 302, '/user/john'],
      ]);
      expect(
        await t.dataSource.getRepository(Follow).findBy({ followerId: susan.id }),
      ).toMatchObject([{ followedId: john.id }]);
    });

    it.each([
      ['a name with a NUL', `/user/${encodeURIComponent('jo\u0000hn')}`],
      ['a name with an encoded slash', `/user/${encodeURIComponent('john/../john')}`],
      ['a name of 5000 characters', `/user/${'j'.repeat(5000)}`],
      ['a name in fullwidth letters', `/user/${encodeURIComponent('ｊｏｈｎ')}`],
      ['a name with a lone surrogate, percent-encoded', '/user/jo%ED%A0%80hn'],
      ['a name with broken percent-encoding', '/user/jo%E0%A4%A'],
    ])('should answer a follow of %s with a 4xx, following nobody', async (_name, base) => {
      const before = await counts();
      for (const action of [`${base}/follow`, `${base}/unfollow`]) {
        const res = await browser.submit('/explore', action, {});
        expect([action.slice(0, 60), res.status >= 400 && res.status < 500]).toEqual([
          action.slice(0, 60),
          true,
        ]);
      }
      for (const path of [`${base}/followers`, `${base}/following`, `${base}/card`]) {
        const res = await browser.get(path);
        expect([path.slice(0, 60), res.status >= 400 && res.status < 500]).toEqual([
          path.slice(0, 60),
          true,
        ]);
      }
      await expect(counts()).resolves.toEqual(before);
    });

    it('should read only the preference checkboxes from the preferences form, whatever else it carries', async () => {
      const account = await susansAccount();
      const res = await browser.submit('/edit_profile', '/notifications/preferences', {
        notify_messages: 'on',
        role: 'admin',
        username: 'hacked',
        email: 'hacked@example.com',
        disabled: '1',
        posts_count: '999',
        postsCount: '999',
        followers_count: '999',
        following_count: '999',
        password_hash: 'x',
        id: String(john.id),
        user_id: String(john.id),
      });
      expect(res.status).toBe(302);
      await expect(susansAccount()).resolves.toEqual(account);
      const row = await users().findOneByOrFail({ id: susan.id });
      expect([row.notifyMessages, row.notifyFollows]).toEqual([true, false]);
      // John's preferences are his own.
      const johns = await users().findOneByOrFail({ id: john.id });
      expect([johns.notifyMessages, johns.notifyFollows]).toEqual([false, true]);
    });

    // A box is on when its field came, whatever its value (a checkbox sends "on"); the form is
    // parsed flat, so "notify_follows[]" is another field.
    it.each([
      ['repeated fields', 302, 'notify_follows=a&notify_follows=b&notify_mentions=on', true],
      ['array-style fields', 302, 'notify_follows%5B%5D=a&notify_mentions%5Bx%5D%5By%5D=b', false],
      ['a field name of 10000 characters', 302, `${'n'.repeat(10000)}=on&notify_follows=on`, true],
      // More fields than the body parser reads: refused before the form is read.
      [
        'a thousand unknown fields',
        413,
        Array.from({ length: 1000 }, (_, i) => `f${i}=on`).join('&'),
        false,
      ],
    ])(
      'should answer preferences sent with %s with %d, never a 5xx',
      async (_name, status, fields, followsOn) => {
        await users().update({ id: susan.id }, { notifyFollows: false });
        const token = csrfTokenOf((await browser.get('/edit_profile')).text);
        const res = await browser.agent
          .post('/notifications/preferences')
          .set('Accept', 'text/html')
          .type('form')
          .send(`csrf_token=${encodeURIComponent(token)}&${fields}`);
        expect([res.status, res.headers.location]).toEqual(
          status === 302 ? [302, '/edit_profile#notification-preferences'] : [status, undefined],
        );
        const row = await users().findOneByOrFail({ id: susan.id });
        expect(row.notifyFollows).toBe(followsOn);
      },
    );

    it.each([
      // Not an object: no field came, so every box is off, as for an empty form.
      ['a JSON array body', '[1,2,3]', 302],
      ['a JSON string body', '"notify_follows"', 400],
      ['malformed JSON', '{"notify_follows":', 400],
      ['JSON with nested objects', '{"notify_follows":{"a":{"b":[1,{"c":null}]}}}', 302],
    ])(
      'should answer preferences sent as %s (%s) with %d, never a 5xx',
      async (_name, body, status) => {
        const token = csrfTokenOf((await browser.get('/edit_profile')).text);
        const res = await browser.agent
          .post('/notifications/preferences')
          .set('Accept', 'text/html')
          .set('X-CSRF-Token', token)
          .set('Content-Type', 'application/json')
          .send(body);
        expect(res.status).toBe(status);
        if (status === 302) {
          const row = await users().findOneByOrFail({ id: susan.id });
          expect([row.notifyFollows, row.notifyMessages]).toEqual([body !== '[1,2,3]', false]);
        }
      },
    );
  });

  describe('unsubscribe links', () => {
    const http = () => request(t.app.getHttpServer());
    const emailChoicesOf = async (user: User) => {
      const row = await users().findOneByOrFail({ id: user.id });
      return [row.emailFollows, row.emailMentions, row.emailMessages, row.emailAnnouncements];
    };

    it('should answer a link with a junk character anywhere with 400, never a 5xx, changing nothing', async () => {
      const token = t.app.get(UnsubscribeLinks).token({ userId: susan.id, scope: 'all' });
      const before = await emailChoicesOf(susan);
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: token.length }), controlChar, async (at, junk) => {
          const path = `/unsubscribe/${encodeURIComponent(token.slice(0, at) + junk + token.slice(at))}`;
          const get = await http().get(path).set('Accept', 'text/html');
          const post = await http().post(path).type('form').send('List-Unsubscribe=One-Click');
          expect([get.status, post.status]).toEqual([400, 400]);
        }),
        { numRuns: 50 },
      );
      await expect(emailChoicesOf(susan)).resolves.toEqual(before);
    });

    it.each([
      ['a lone surrogate, percent-encoded', '%ED%A0%80'],
      ['malformed percent-encoding', '%E0%A4%A'],
      ['an encoded slash', '1%2Fall%2Fx'],
      ['a token of 10000 characters', `1.all.${'A'.repeat(10_000)}`],
      ['a NUL byte', '1.all.%00'],
      ['dots only', '..'],
    ])('should answer %s in the link with a 4xx, never a 5xx', async (_name, raw) => {
      const before = await emailChoicesOf(susan);
      const get = await http().get(`/unsubscribe/${raw}`).set('Accept', 'text/html');
      const post = await http()
        .post(`/unsubscribe/${raw}`)
        .type('form')
        .send('List-Unsubscribe=One-Click');
      expect([
        get.status >= 400 && get.status < 500,
        post.status >= 400 && post.status < 500,
      ]).toEqual([true, true]);
      await expect(emailChoicesOf(susan)).resolves.toEqual(before);
    });
  });

  describe('password reset and the email address', () => {
    const tokens = () => t.dataSource.getRepository(EmailToken);
    /** Susan's address and password, and the links made: what these forms could change. */
    const credentials = async () => {
      await t.app.get(PasswordResetService).idle();
      const row = await users().findOneByOrFail({ id: susan.id });
      return {
        email: row.email,
        passwordHash: row.passwordHash,
        links: await tokens().count(),
        used: await tokens().countBy({ usedAt: Not(IsNull()) }),
      };
    };
    /** A reset link of susan's, as her email would carry it. */
    const resetPath = async () =>
      `/auth/reset_password/${await t.dataSource.transaction((manager) =>
        t.app.get(EmailTokensService).issue(manager, susan, 'password_reset', 1_800_000),
      )}`;
    const JUNK = [...CONTROL, ...LONE_SURROGATES].map((c) => [JSON.stringify(c), c]);

    it.each(JUNK)(
      'should refuse %s in the forgot-password address with 400, making no link',
      async (_name, c) => {
        const before = await credentials();
        const res = await submitJson(
          new BrowserSession(t.app),
          '/auth/forgot_password',
          '/auth/forgot_password',
          { email: `susan${c}@example.com` },
        );
        expect(res.status).toBe(400);
        expect(res.text).toContain('data-error-for="email"');
        await expect(credentials()).resolves.toEqual(before);
      },
    );

    it.each(JUNK)(
      'should refuse %s in a new password with 400, the link kept unused',
      async (_name, c) => {
        const path = await resetPath();
        const before = await credentials();
        const password = `pass${c}word-long-enough`;
        const res = await submitJson(new BrowserSession(t.app), path, path, {
          password,
          password2: password,
        });
        expect(res.status).toBe(400);
        expect(res.text).toContain('data-error-for="password"');
        await expect(credentials()).resolves.toEqual(before);
      },
    );

    it.each(JUNK)('should refuse %s in an address change with 400', async (_name, c) => {
      const before = await credentials();
      for (const fields of [
        { email: `new${c}@example.com`, current_password: DEFAULT_PASSWORD },
        { email: 'new@example.com', current_password: `${DEFAULT_PASSWORD}${c}` },
      ]) {
        const res = await submitJson(browser, '/edit_profile/email', '/edit_profile/email', fields);
        expect(res.status).toBe(400);
      }
      await expect(credentials()).resolves.toEqual(before);
    });

    it.each([
      ['an array', ['susan@example.com', 'john@example.com']],
      ['an object', { $ne: '' }],
      ['a number', 42],
      ['null', null],
      ['true', true],
      ['nested arrays', JSON.parse(`${'['.repeat(30)}"susan@example.com"${']'.repeat(30)}`)],
    ])(
      'should refuse %s for an address or a password with 400, never a 5xx',
      async (_name, value) => {
        const before = await credentials();
        const answers = [
          await submitJson(
            new BrowserSession(t.app),
            '/auth/forgot_password',
            '/auth/forgot_password',
            {
              email: value as unknown,
            },
          ),
          await submitJson(browser, '/edit_profile/email', '/edit_profile/email', {
            email: value as unknown,
            current_password: DEFAULT_PASSWORD,
          }),
          await submitJson(browser, '/edit_profile/email', '/edit_profile/email', {
            email: 'new@example.com',
            current_password: value as unknown,
          }),
        ];
        const path = await resetPath();
        answers.push(
          await submitJson(new BrowserSession(t.app), path, path, {
            password: value as unknown,
            password2: value as unknown,
          }),
        );
        expect(answers.map((res) => res.status)).toEqual([400, 400, 400, 400]);
        const after = await credentials();
        expect({ ...after, links: before.links }).toEqual(before);
      },
    );

    it('should answer junk in the link itself with a 4xx page, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (text) => {
          for (const route of ['/auth/reset_password/', '/auth/confirm_email/']) {
            const res = await request(t.app.getHttpServer())
              .get(`${route}${encodeURIComponent(text)}`)
              .set('Accept', 'text/html');
            expect([route, text, res.status >= 400 && res.status < 500]).toEqual([
              route,
              text,
              true,
            ]);
          }
        }),
        { numRuns: 50 },
      );
    });
  });

  describe('admin JSON API', () => {
    const api = () => request(t.app.getHttpServer());

    it.each([...CONTROL, ...LONE_SURROGATES].map((c) => [JSON.stringify(c), c]))(
      'should refuse %s in about_me with 400',
      async (_name, c) => {
        const res = await expectRefused(() =>
          api()
            .patch(`/api/admin/users/${susan.id}`)
            .set('Authorization', bearer)
            .send({ about_me: `a${c}b` }),
        );
        expect(res.body).toEqual(
          expect.objectContaining({
            statusCode: 400,
            message: ['about_me must not contain control characters or unpaired surrogates'],
          }),
        );
      },
    );

    it('should refuse the raw JSON text "\\ud800" (the finding) with 400', async () => {
      await expectRefused(() =>
        api()
          .patch(`/api/admin/users/${susan.id}`)
          .set('Authorization', bearer)
          .set('Content-Type', 'application/json')
          .send('{"about_me":"\\ud800"}'),
      );
    });

    it('should keep line breaks in about_me', async () => {
      const res = await api()
        .patch(`/api/admin/users/${susan.id}`)
        .set('Authorization', bearer)
        .send({ about_me: 'one\ntwo' });
      expect(res.status).toBe(200);
      await expect(aboutMeOf(susan)).resolves.toBe('one\ntwo');
    });

    it.each([
      ['a name with a NUL', { user: 'all', name: 'news\u0000', data: {} }],
      ['a lone surrogate in data', { user: 'all', name: 'news', data: { message: '\ud800' } }],
      [
        'a control character deep in data',
        { user: 'all', name: 'news', data: [[{ a: '\u001b' }]] },
      ],
      ['a NUL in a data key', { user: 'all', name: 'news', data: { 'a\u0000': 1 } }],
      ['a lone surrogate as data', { user: 'all', name: 'news', data: '\udc00' }],
    ])('should refuse a notification with %s and store nothing', async (_name, body) => {
      await expectRefused(() =>
        api().post('/api/admin/notifications').set('Authorization', bearer).send(body),
      );
    });

    it.each([
      ['/api/admin/users?q=', 'a%00b'],
      ['/api/admin/users?q=', '%1B'],
      ['/api/admin/notifications?name=', 'news%00'],
    ])('should refuse %s%s with 400', async (path, value) => {
      const res = await api().get(`${path}${value}`).set('Authorization', bearer);
      expect(res.status).toBe(400);
    });

    it('should refuse junk credentials for a token with 400', async () => {
      for (const body of [
        { username: 'susan\u0000', password: DEFAULT_PASSWORD },
        { username: 'susan', password: '\ud800' },
      ]) {
        const res = await api().post('/api/auth/token').send(body);
        expect(res.status).toBe(400);
        expect(res.body.access_token).toBeUndefined();
      }
    });

    it('should refuse any about_me or notification with a junk character', async () => {
      await fc.assert(
        fc.asyncProperty(withJunk(junkChar), async (text) => {
          await expectRefused(() =>
            api()
              .patch(`/api/admin/users/${susan.id}`)
              .set('Authorization', bearer)
              .send({ about_me: text }),
          );
          await expectRefused(() =>
            api()
              .post('/api/admin/notifications')
              .set('Authorization', bearer)
              .send({ user: 'all', name: 'news', data: { message: text } }),
          );
        }),
        { numRuns: 40 },
      );
    });
  });

  describe('the posts search box', () => {
    /** Operators and words of the engines' query languages, and text of any script. */
    const queryPart = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom('"', '*', '-', '+', '(', ')', ':', '^', '~', '@', '<', '>', '{', '}'),
      fc.constantFrom('NEAR', 'NEAR(', 'AND', 'OR', 'NOT', 'posts_fts', 'rank', "'", ';', '--'),
      fc.constantFrom('привет', 'Ёлка', 'canción', 'the', 'a', '😀', 'ZWJ\u200dx', '\u0301'),
    );

    beforeAll(async () => {
      for (const body of ['привет мир', 'the quick brown fox', 'canción del año', 'NEAR AND OR']) {
        await browser.submit('/', '/posts', { post: body });
      }
    });

    it.each([
      ['a NUL', '?q=a%00b'],
      ['an escape character', '?q=%1B'],
      ['C1 controls', '?q=%C2%85%C2%9B'],
      ['a lone surrogate, percent-encoded', '?q=jo%ED%A0%80hn'],
      ['broken percent-encoding', '?q=jo%E0%A4%A'],
      ['a repeated q', '?q=fox&q=brown'],
      ['q as an array', '?q[]=fox'],
      ['q as an object', '?q[a]=fox'],
      ['a page of junk', '?q=fox&page=%00'],
      ['a huge page', '?q=fox&page=99999999999999999999'],
      ['2,000 Cyrillic characters', `?q=${'ж'.repeat(2000)}`],
    ])('should answer a search with %s with a page, storing nothing', async (_name, query) => {
      const before = await counts();
      const res = await browser.get(`/search${query}`);
      expect([query.slice(0, 40), res.status]).toEqual([query.slice(0, 40), 200]);
      await expect(counts()).resolves.toEqual(before);
    });

    it('should answer any query of operators and words with a page', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(queryPart, { maxLength: 12 }), async (parts) => {
          const q = parts.join(' ');
          const res = await browser.get(`/search?q=${encodeURIComponent(q)}`);
          expect([q, res.status]).toEqual([q, 200]);
        }),
        { numRuns: 80 },
      );
    });
  });
});
