import fc from 'fast-check';
import { likePrefixPattern, prefixUpperBound, searchTerm, usernamePrefix } from './user-search';

const USERNAME_ALPHABET = [...'abcdefghijklmnopqrstuvwxyz0123456789_.-'];

describe(prefixUpperBound.name, () => {
  it.each([
    ['al', 'am'],
    ['a', 'b'],
    ['k9', 'k:'],
    ['zz', 'z{'],
    ['a-', 'a.'],
    ['a_', 'a`'],
  ])('should bound %p by %p', (prefix, bound) => {
    expect(prefixUpperBound(prefix)).toBe(bound);
  });

  it('should refuse an empty prefix', () => {
    expect(() => prefixUpperBound('')).toThrow(RangeError);
  });

  it('should hold exactly the names that start with the prefix, in code point order', () => {
    const name = fc.string({ unit: fc.constantFrom(...USERNAME_ALPHABET), maxLength: 8 });
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...USERNAME_ALPHABET), minLength: 1, maxLength: 4 }),
        name,
        (prefix, rest) => {
          // Names near the prefix as well as random ones.
          for (const candidate of [rest, prefix + rest, prefix.slice(0, -1) + rest]) {
            const inRange = candidate >= prefix && candidate < prefixUpperBound(prefix);
            expect(inRange).toBe(candidate.startsWith(prefix));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe(likePrefixPattern.name, () => {
  it('should escape the LIKE wildcards and the escape character', () => {
    expect(likePrefixPattern('al')).toBe('al%');
    expect(likePrefixPattern('a_b')).toBe('a!_b%');
    expect(likePrefixPattern('%_!')).toBe('!%!_!!%');
  });
});

describe(searchTerm.name, () => {
  it.each([
    [undefined, ''],
    [['al', 'bo'], ''],
    ['  Al ', 'Al'],
    ['a\u0000l\u001b\u007f\u0085', 'al'],
    ['a\ud800l', 'al'],
    ['ж👍🏽', 'ж👍🏽'],
  ])('should read %p as %p', (raw, term) => {
    expect(searchTerm(raw)).toBe(term);
  });

  it('should keep at most 64 characters, as no username is longer', () => {
    expect(searchTerm('x'.repeat(10_000))).toBe('x'.repeat(64));
    expect([...searchTerm('ж'.repeat(100))]).toHaveLength(64);
  });
});

describe(usernamePrefix.name, () => {
  it('should lower the case of a term a username can start with', () => {
    expect(usernamePrefix('ALi')).toBe('ali');
    expect(usernamePrefix('a_b.c-9')).toBe('a_b.c-9');
  });

  it.each(['%', 'a%', 'a b', 'ж', 'é', "a'", ''])('should find no prefix in %p', (term) => {
    expect(usernamePrefix(term)).toBeNull();
  });
});
