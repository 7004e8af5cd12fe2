import { relativeTime } from './relative-time';

describe(relativeTime.name, () => {
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);

  it('should describe past times in the reader language', () => {
    expect(relativeTime(new Date(now - 3 * 60_000), 'en', now)).toBe('3 minutes ago');
    expect(relativeTime(new Date(now - 3 * 60_000), 'es', now)).toBe('hace 3 minutos');
    expect(relativeTime(new Date(now - 2 * 86_400_000), 'ru', now)).toBe('позавчера');
  });

  it('should say now for the current moment', () => {
    expect(relativeTime(new Date(now), 'en', now)).toBe('now');
  });

  it.each(['!', '*', '', 'xx-!!', ['es', '!'], { lang: 'es' }, undefined])(
    'should fall back to English for %p instead of throwing',
    (lang) => {
      expect(relativeTime(new Date(now - 3 * 60_000), lang, now)).toBe('3 minutes ago');
    },
  );
});
