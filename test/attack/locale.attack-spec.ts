import fc from 'fast-check';
import request from 'supertest';
import { LANGUAGE_COOKIE } from '../../src/common/i18n/languages';
import { MessagesService } from '../../src/messages/messages.service';
import { authCookieFor, createUser } from '../factories/user.factory';
import { createTestApp, TestApp } from '../utils/test-app';

const SUPPORTED = ['en', 'es', 'ru'];

/** Junk a query string, a cookie or a header can carry as a language. */
const JUNK_LANGUAGES = [
  '!',
  '*',
  '!!',
  '',
  ' ',
  'EN',
  'en-',
  'es_ES',
  'x-klingon',
  'de',
  'debug',
  '__proto__',
  'constructor',
  'toString',
  '"><script>alert(1)</script>',
  '" onmouseover="alert(1)',
  'en\u0000',
  '\ud83d\ude00',
  'x'.repeat(3000),
];

interface Sources {
  query?: string;
  /** Raw query string fragment, for repeated or odd parameters. */
  rawQuery?: string;
  cookie?: string;
  acceptLanguage?: string;
}

/** Finding 3: only en, es and ru ever reach Intl, the page or the cookie. */
describe('Attack: junk locales', () => {
  let t: TestApp;
  let auth: string;

  beforeAll(async () => {
    t = await createTestApp();
    const susan = await createUser(t.app, 'susan');
    const john = await createUser(t.app, 'john');
    // Pages with relative times: the inbox and profiles ("last seen 3 minutes ago").
    await t.app.get(MessagesService).send(john, susan, 'hello');
    auth = await authCookieFor(t.app, susan);
  });

  afterAll(() => t.close());

  const PAGES = ['/messages', '/user/john', '/', '/explore', '/edit_profile', '/no-such-page'];

  function get(path: string, sources: Sources) {
    const query = [
      sources.query === undefined ? '' : `lang=${encodeURIComponent(sources.query)}`,
      sources.rawQuery ?? '',
    ]
      .filter(Boolean)
      .join('&');
    const req = request(t.app.getHttpServer())
      .get(query ? `${path}?${query}` : path)
      .set('Accept', 'text/html')
      .set(
        'Cookie',
        [auth, sources.cookie === undefined ? '' : `${LANGUAGE_COOKIE}=${sources.cookie}`]
          .filter(Boolean)
          .join('; '),
      );
    return sources.acceptLanguage === undefined
      ? req
      : req.set('Accept-Language', sources.acceptLanguage);
  }

  /** The page rendered in `expected` (a supported language), and nothing but that stored. */
  function expectPage(res: request.Response, expected: string | null, path: string) {
    expect([path, res.status]).toEqual([path, path === '/no-such-page' ? 404 : 200]);
    const htmlLang = /<html lang="([^"]*)"/.exec(res.text)?.[1];
    expect(SUPPORTED).toContain(htmlLang);
    if (expected) {
      expect(htmlLang).toBe(expected);
    }
    for (const cookie of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      if (cookie.startsWith(`${LANGUAGE_COOKIE}=`)) {
        expect(cookie).toMatch(/^lang=(en|es|ru);/);
      }
    }
    return htmlLang;
  }

  const langCookieOf = (res: request.Response) =>
    ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith(`${LANGUAGE_COOKIE}=`));

  it.each(JUNK_LANGUAGES.map((l) => [JSON.stringify(l).slice(0, 40), l]))(
    'should render every page in English for ?lang=%s, and remember nothing',
    async (_name, junk) => {
      for (const path of PAGES) {
        const res = await get(path, { query: junk });
        expectPage(res, 'en', path);
        expect(langCookieOf(res)).toBeUndefined();
      }
    },
  );

  it.each(JUNK_LANGUAGES.filter((l) => /^[\x21-\x7e]*$/.test(l) && !l.includes(';')))(
    'should ignore the cookie lang=%j',
    async (junk) => {
      for (const path of PAGES) {
        expectPage(await get(path, { cookie: encodeURIComponent(junk) }), 'en', path);
      }
    },
  );

  it.each([
    ['cookie-parser JSON object', 'j:{"lang":"es"}'],
    ['cookie-parser JSON array', 'j:["es","ru"]'],
    ['bad percent-encoding', '%E0%A4%A'],
    ['two cookies', 'es; lang=!!'],
  ])('should ignore a cookie holding a %s', async (_name, value) => {
    for (const path of PAGES) {
      const res = await get(path, { cookie: value });
      expectPage(res, null, path);
    }
  });

  it.each([
    ['?lang=! then the cookie', { query: '!', cookie: 'es' }, 'es'],
    ['?lang=* then Accept-Language', { query: '*', acceptLanguage: 'ru-RU,ru;q=0.9' }, 'ru'],
    ['a junk cookie then Accept-Language', { cookie: '!!', acceptLanguage: 'es' }, 'es'],
    ['a repeated ?lang=', { rawQuery: 'lang=es&lang=ru', cookie: 'ru' }, 'ru'],
    ['junk Accept-Language', { acceptLanguage: '*;q=abc, !!, x-;q=2' }, 'en'],
  ])('should fall back past %s', async (_name, sources: Sources, expected) => {
    for (const path of PAGES) {
      const res = await get(path, sources);
      expectPage(res, expected, path);
      expect(langCookieOf(res)).toBeUndefined();
    }
  });

  it('should still switch and remember a supported language', async () => {
    const res = await get('/messages', { query: 'ru', cookie: 'es' });
    expectPage(res, 'ru', '/messages');
    expect(langCookieOf(res)).toMatch(/^lang=ru; Max-Age=31536000/);
    expect(res.text).toMatch(/<time [^>]*>[^<]*(назад|сейчас|минут)/);
  });

  it.each(['/notifications/stream', '/api/admin/users', '/api/no-such-route'])(
    'should answer JSON errors on %s with a junk language, not 500',
    async (path) => {
      for (const junk of ['!', '*', 'debug', '__proto__']) {
        const res = await request(t.app.getHttpServer())
          .get(`${path}?lang=${encodeURIComponent(junk)}`)
          .set('Cookie', `${LANGUAGE_COOKIE}=!!`);
        expect([junk, res.status]).toEqual([junk, path.includes('no-such') ? 404 : 401]);
        expect(res.body).toEqual(expect.objectContaining({ statusCode: res.status }));
      }
    },
  );

  it('should render a supported language for any query, cookie and header', async () => {
    const language = fc.oneof(
      fc.constantFrom(...SUPPORTED, ...JUNK_LANGUAGES),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.option(language, { nil: undefined }),
        fc.option(language, { nil: undefined }),
        fc.option(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), { nil: undefined }),
        fc.constantFrom(...PAGES),
        async (query, cookie, acceptLanguage, path) => {
          const res = await get(path, {
            query,
            cookie: cookie === undefined ? undefined : encodeURIComponent(cookie),
            acceptLanguage,
          });
          const expected = SUPPORTED.includes(query ?? '')
            ? query!
            : SUPPORTED.includes(cookie ?? '')
              ? cookie!
              : null;
          expectPage(res, expected, path);
          const remembered = langCookieOf(res);
          if (remembered) {
            expect(remembered.startsWith(`lang=${query};`)).toBe(true);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
