import fc from 'fast-check';
import { safeRedirectTarget, sameSitePath } from './safe-redirect';

const BASE = 'https://app.example/auth/login?next=x';

/** Where a browser on BASE goes with `Location: <target>`. */
const browserTarget = (target: string) => new URL(target, BASE);

describe(safeRedirectTarget.name, () => {
  it.each(['/messages', '/user/bob?tab=1', '/explore#top', '/edit_profile?x=1&y=%2F%2F'])(
    'should keep the site path %s',
    (p) => {
      expect(safeRedirectTarget(p)).toBe(p);
    },
  );

  it.each([
    ['/a/./b/../c', '/a/c'],
    ['/%2e%2e/messages', '/messages'],
    ['/user/j%C3%BCrgen', '/user/j%C3%BCrgen'],
    ['/user/jürgen', '/user/j%C3%BCrgen'],
  ])('should hand back the normalised form of %s', (p, normalised) => {
    expect(safeRedirectTarget(p)).toBe(normalised);
  });

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/\u0000//evil.example',
    ' /messages',
    '',
    undefined,
    ['/messages'],
    // Same-looking paths that a browser normalises into "//evil.example".
    '/.//evil.example',
    '/x/..//evil.example',
    '/%2e//evil.example',
    '/%2E//evil.example',
    '/%2e%2e//evil.example',
    '/./\\evil.example',
    '/x/../\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/.\t//evil.example',
    // Harmless as they are, but one decode away from "//evil.example".
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '/%5Cevil.example',
    '/%09/evil.example',
    '/%0A%0D%2F/evil.example',
  ])('should refuse %p', (p) => {
    expect(safeRedirectTarget(p)).toBe('/');
  });

  it('should only ever return a path a browser keeps on this site, in its stable form', () => {
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
                '%5c',
                '\t',
                'evil.example',
                'x',
                ':',
                '@',
                '?',
                '#',
              ),
            )
            .map((parts) => parts.join('')),
          fc.webUrl(),
        ),
        (input) => {
          const target = safeRedirectTarget(input);
          expect(target.startsWith('/')).toBe(true);
          expect(target.startsWith('//')).toBe(false);
          expect(target.startsWith('/\\')).toBe(false);
          const landed = browserTarget(target);
          expect(landed.origin).toBe('https://app.example');
          // Read again (by the browser, or by a second pass through the login form), it is the same.
          expect(landed.pathname + landed.search + landed.hash).toBe(target);
          expect(safeRedirectTarget(target)).toBe(target);
          // Decoded once more by someone careless, it still names this site.
          const decodedOnce = new URL(
            target.replace(/%(2f|5c|09|0a|0d)/gi, (m) => decodeURIComponent(m)),
            BASE,
          );
          expect(decodedOnce.origin).toBe('https://app.example');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe(sameSitePath.name, () => {
  it('should give null for anything that leaves the site', () => {
    expect(sameSitePath('//evil.example/x')).toBeNull();
    expect(sameSitePath('/.//evil.example')).toBeNull();
    expect(sameSitePath('https://evil.example/')).toBeNull();
  });

  it('should give the normalised path and query of a path on the site', () => {
    expect(sameSitePath('/explore?page=2')).toBe('/explore?page=2');
  });
});
