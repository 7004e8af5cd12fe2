import fc from 'fast-check';
import { isLanguage, LANGUAGES } from './languages';
import { languageFromAcceptLanguage, resolveLanguage } from './resolve-language';

const codes = LANGUAGES.map((l) => l.code);

/** Anything a query string, a cookie (cookie-parser reads "j:" values as JSON) or a header holds. */
const junk = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '!',
    '*',
    '!!',
    '',
    'EN',
    'es-',
    'debug',
    '__proto__',
    'constructor',
    'x'.repeat(5000),
  ),
  fc.array(fc.string()),
  fc.object(),
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
);

describe(resolveLanguage.name, () => {
  it('should take ?lang=, then the cookie, then Accept-Language', () => {
    expect(resolveLanguage({ query: 'ru', cookie: 'es', acceptLanguage: 'en' })).toBe('ru');
    expect(resolveLanguage({ cookie: 'es', acceptLanguage: 'ru' })).toBe('es');
    expect(resolveLanguage({ acceptLanguage: 'ru-RU,ru;q=0.9' })).toBe('ru');
    expect(resolveLanguage({})).toBe('en');
  });

  it.each([
    [{ query: '!', cookie: 'es' }, 'es'],
    [{ query: '*', acceptLanguage: 'ru' }, 'ru'],
    [{ query: ['es', 'ru'] }, 'en'],
    [{ cookie: '!!', acceptLanguage: 'es' }, 'es'],
    [{ cookie: { lang: 'es' } }, 'en'],
    [{ query: 'ES' }, 'en'],
  ])('should skip a source that names no supported language: %p', (sources, expected) => {
    expect(resolveLanguage(sources)).toBe(expected);
  });

  it('should only ever give a supported language, and the first supported source', () => {
    fc.assert(
      fc.property(
        fc.oneof(junk, fc.constantFrom(...codes)),
        fc.oneof(junk, fc.constantFrom(...codes)),
        fc.oneof(junk, fc.string()),
        (query, cookie, acceptLanguage) => {
          const lang = resolveLanguage({ query, cookie, acceptLanguage });
          expect(isLanguage(lang)).toBe(true);
          if (isLanguage(query)) {
            expect(lang).toBe(query);
          } else if (isLanguage(cookie)) {
            expect(lang).toBe(cookie);
          }
          // What Intl is handed never makes it throw.
          expect(() => new Intl.RelativeTimeFormat(lang)).not.toThrow();
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe(languageFromAcceptLanguage.name, () => {
  it.each([
    ['es-ES,es;q=0.9,en;q=0.5', 'es'],
    ['fr-FR,fr;q=0.9,ru;q=0.8,en;q=0.7', 'ru'],
    ['en;q=0.2, es;q=0.8', 'es'],
    ['RU', 'ru'],
    ['es;q=0, ru', 'ru'],
    ['*', undefined],
    ['fr, de', undefined],
    ['es;q=abc', undefined],
    ['', undefined],
  ])('should pick from %p', (header, expected) => {
    expect(languageFromAcceptLanguage(header)).toBe(expected);
  });

  it('should give a supported language or nothing for any header', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (header) => {
        const lang = languageFromAcceptLanguage(header);
        expect(lang === undefined || isLanguage(lang)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
