import { codePointLength, visibleLength } from './text-length';

describe(visibleLength.name, () => {
  it('should count Cyrillic letters and emoji as one character each', () => {
    expect(visibleLength('привет')).toBe(6);
    expect(visibleLength('👍🏽👨‍👩‍👧')).toBe(2);
    expect(visibleLength('e\u0301')).toBe(1);
  });

  it('should count what MySQL counts in code points', () => {
    expect(codePointLength('👍🏽')).toBe(2);
    expect(codePointLength('abc')).toBe(3);
  });
});
