import fc from 'fast-check';
import { languageLinkBase } from './language-links';

describe(languageLinkBase.name, () => {
  it('should keep the current page and its query, without ?lang=', () => {
    expect(languageLinkBase('/auth/register')).toBe('/auth/register?');
    expect(languageLinkBase('/explore?page=2')).toBe('/explore?page=2&');
    expect(languageLinkBase('/explore?lang=ru&page=2&lang=es#x')).toBe('/explore?page=2&');
  });

  it('should keep a search and its page, still encoded', () => {
    expect(languageLinkBase('/explore?q=al&page=2')).toBe('/explore?q=al&page=2&');
    expect(languageLinkBase('/explore?q=a%26lang%3Dru&page=2&lang=es')).toBe(
      '/explore?q=a%26lang%3Dru&page=2&',
    );
  });

  it.each([
    '//evil.example/x',
    '//evil.example/x?lang=es',
    '/.//evil.example/x',
    '/\\evil.example/x',
    'http://evil.example/x',
    '/%2e//evil.example',
    '/%2F/evil.example',
    `/${'x'.repeat(3000)}`,
  ])('should link to the home page from %s', (url) => {
    expect(languageLinkBase(url)).toBe('/?');
  });

  it('should always give a same-site link that sets lang once', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc
            .array(
              fc.constantFrom(
                '/',
                '\\',
                '.',
                '%2e',
                '%2f',
                '?',
                '#',
                '&',
                'lang=x',
                'evil.example',
              ),
            )
            .map((parts) => parts.join('')),
        ),
        fc.constantFrom('en', 'es', 'ru'),
        (url, lang) => {
          const href = `${languageLinkBase(url)}lang=${lang}`;
          expect(href).toMatch(/^\/(?![/\\])/);
          const landed = new URL(href, 'https://app.example/page');
          expect(landed.origin).toBe('https://app.example');
          expect(landed.searchParams.getAll('lang')).toEqual([lang]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
