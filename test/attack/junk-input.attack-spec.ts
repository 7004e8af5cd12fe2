import fc from 'fast-check';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Message } from '../../src/messages/message.entity';
import { Notification } from '../../src/notifications/notification.entity';
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
});
