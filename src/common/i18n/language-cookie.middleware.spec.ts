import type { NextFunction, Request, Response } from 'express';
import type { I18nService } from 'nestjs-i18n';
import { LanguageCookieMiddleware } from './language-cookie.middleware';

describe(LanguageCookieMiddleware.name, () => {
  const sut = new LanguageCookieMiddleware({} as I18nService);

  const run = (
    query: Record<string, unknown>,
    cookies: Record<string, unknown> = {},
    headers = {},
  ) => {
    // nestjs-i18n's resolvers may already have put the raw ?lang= here.
    const req = { query, cookies, headers, i18nLang: query.lang } as unknown as Request & {
      i18nLang: unknown;
    };
    const res = { cookie: jest.fn() };
    const next = jest.fn() as NextFunction;
    sut.use(req, res as unknown as Response, next);
    expect(next).toHaveBeenCalledTimes(1);
    return { lang: req.i18nLang, cookie: res.cookie };
  };

  it('should remember a language picked with ?lang=', () => {
    const { lang, cookie } = run({ lang: 'ru' });
    expect(lang).toBe('ru');
    expect(cookie).toHaveBeenCalledWith('lang', 'ru', expect.objectContaining({ httpOnly: true }));
  });

  it('should not set the cookie again when it already holds the language', () => {
    expect(run({ lang: 'es' }, { lang: 'es' }).cookie).not.toHaveBeenCalled();
  });

  it.each([
    [{ lang: '!' }, { lang: 'es' }, {}, 'es'],
    [{ lang: '*' }, {}, { 'accept-language': 'ru' }, 'ru'],
    [{ lang: ['es', 'ru'] }, {}, {}, 'en'],
    [{}, { lang: '!!' }, {}, 'en'],
    [{}, { lang: { j: 'es' } }, { 'accept-language': 'es' }, 'es'],
  ])(
    'should replace a junk language (query %p, cookies %p) with the next source, and store nothing',
    (query, cookies, headers, expected) => {
      const { lang, cookie } = run(query, cookies, headers);
      expect(lang).toBe(expected);
      expect(cookie).not.toHaveBeenCalled();
    },
  );
});
