import fc from 'fast-check';
import { isCleanJson, isCleanText, trimText } from './clean-text';

/** Control characters (C0, DEL, C1) but line breaks and tabs, and lone surrogates. */
const junkChar = fc
  .oneof(
    fc.integer({ min: 0, max: 0x1f }),
    fc.integer({ min: 0x7f, max: 0x9f }),
    fc.integer({ min: 0xd800, max: 0xdfff }),
  )
  .filter((code) => code !== 0x09 && code !== 0x0a && code !== 0x0d)
  .map((code) => String.fromCharCode(code));

const isJunkCode = (code: number) =>
  code <= 0x1f || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff);

describe(isCleanText.name, () => {
  it.each(['susan', 'привет', '👍🏽👨‍👩‍👧', 'e\u0301', '\ufffd', ''])('should accept %p', (text) => {
    expect(isCleanText(text)).toBe(true);
  });

  it.each([
    'a\u0000b',
    'a\u0007',
    '\u001b[31m',
    'a\u007f',
    'a\u0085',
    '\ud800',
    'x\udc00y',
    '\ud83d',
  ])('should refuse %p', (text) => {
    expect(isCleanText(text)).toBe(false);
    expect(isCleanText(text, { multiline: true })).toBe(false);
  });

  it('should allow line breaks and tabs only in multi-line text', () => {
    expect(isCleanText('one\r\ntwo\tthree', { multiline: true })).toBe(true);
    expect(isCleanText('one\ntwo')).toBe(false);
    expect(isCleanText('one\ttwo')).toBe(false);
  });

  it('should refuse any text with a junk character, wherever it is', () => {
    fc.assert(
      // Well-formed text around the junk: no neighbour can pair with a lone surrogate.
      fc.property(
        fc.string({ unit: 'grapheme' }),
        junkChar,
        fc.string({ unit: 'grapheme' }),
        (before, bad, after) => {
          expect(isCleanText(before + bad + after, { multiline: true })).toBe(false);
          expect(isCleanText(before + bad + after)).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('should accept exactly the well-formed strings without control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const expected =
          // UTF-8 keeps a string exactly when it has no lone surrogate.
          Buffer.from(text, 'utf8').toString('utf8') === text &&
          [...text].every((c) => !isJunkCode(c.codePointAt(0)!));
        expect(isCleanText(text)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe(isCleanJson.name, () => {
  it('should check every string inside, keys included', () => {
    expect(
      isCleanJson({ message: 'hi\nthere', list: [1, 'ok', { deep: true }] }, { multiline: true }),
    ).toBe(true);
    expect(isCleanJson({ message: '\ud800' })).toBe(false);
    expect(isCleanJson([[['a\u0000']]])).toBe(false);
    expect(isCleanJson({ 'a\u0000': 1 })).toBe(false);
    expect(isCleanJson(null)).toBe(true);
  });

  it('should walk a value nested far deeper than the call stack allows', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 100_000; i++) {
      deep = [deep];
    }
    expect(isCleanJson(deep)).toBe(false);
  });
});

describe(trimText.name, () => {
  it('should drop spaces and line breaks at the ends', () => {
    expect(trimText(' \t susan\r\n\u00a0\u3000')).toBe('susan');
    expect(trimText('a b')).toBe('a b');
    expect(trimText(['x '])).toEqual(['x ']);
  });

  it('should keep control characters at the ends, to be refused rather than cut', () => {
    expect(trimText('hi\f')).toBe('hi\f');
    expect(trimText('\u000bhi ')).toBe('\u000bhi');
    expect(isCleanText(trimText('hi\u000b') as string, { multiline: true })).toBe(false);
  });
});
