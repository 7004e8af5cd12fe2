import { DEFAULT_LANGUAGE, isLanguage, LanguageCode } from './languages';

/** Where a request can say which language it wants, strongest first. */
export interface LanguageSources {
  /** ?lang= (the footer switcher); a string, or an array when repeated. */
  query?: unknown;
  /** The remembered choice; cookie-parser may hand back an object for a "j:" value. */
  cookie?: unknown;
  /** The Accept-Language header. */
  acceptLanguage?: unknown;
}

// A real header names a handful of languages; a hostile one can name thousands.
const MAX_RANGES = 32;

/**
 * The supported language an Accept-Language header prefers most ("es-MX,en;q=0.5" gives es),
 * by weight and then by order; ranges with q=0, "*" and unsupported ones are skipped.
 */
export function languageFromAcceptLanguage(header: unknown): LanguageCode | undefined {
  if (typeof header !== 'string') {
    return undefined;
  }
  const ranges = header
    .split(',', MAX_RANGES)
    .map((part, index) => {
      const [range, ...params] = part.split(';').map((p) => p.trim());
      const q = params.find((p) => /^q=/i.test(p));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      const primary = range.split('-')[0].toLowerCase();
      return { primary, weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.weight > 0 && isLanguage(r.primary))
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranges.length > 0 ? (ranges[0].primary as LanguageCode) : undefined;
}

/**
 * The request's language: ?lang=, then the cookie, then Accept-Language, then English. A source
 * that names anything but a supported language is skipped, so "?lang=!" or a junk cookie fall
 * through to the next source instead of reaching Intl, the page or the cookie.
 */
export function resolveLanguage(sources: LanguageSources): LanguageCode {
  if (isLanguage(sources.query)) {
    return sources.query;
  }
  if (isLanguage(sources.cookie)) {
    return sources.cookie;
  }
  return languageFromAcceptLanguage(sources.acceptLanguage) ?? DEFAULT_LANGUAGE;
}
