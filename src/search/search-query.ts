import { foldWord, WORD } from '../posts/post-words';

/** A query is cut after this many characters (the search box allows no more). */
export const SEARCH_QUERY_MAX = 200;

/** At most this many distinct words of a query are searched for; the rest are left out. */
export const SEARCH_TERMS_MAX = 8;

export interface SearchQuery {
  /** The query as the page shows it and its links carry it: clean text, trimmed, cut. */
  text: string;
  /** The query was longer than SEARCH_QUERY_MAX characters and was cut. */
  cut: boolean;
  /**
   * Its distinct words, folded (see foldWord), in order: every post found has all of them.
   * Only letters, digits and marks: no character of a query language ever reaches an engine.
   */
  terms: string[];
  /** Words past SEARCH_TERMS_MAX, not searched for. */
  extra: string[];
}

/**
 * The search box's query: text only (a repeated ?q= is no query), without control characters
 * or lone surrogates, trimmed, at most SEARCH_QUERY_MAX characters, and its words. Operators
 * and quotes of either engine's syntax (`"`, `*`, `-`, `(`, `+`, `~`) are not words and are
 * dropped; AND, OR, NOT and NEAR are words like any other.
 */
export function parseSearchQuery(raw: unknown): SearchQuery {
  const clean = typeof raw === 'string' ? raw.replace(/[\p{Cc}\p{Cs}]/gu, ' ').trim() : '';
  const chars = [...clean];
  const text = chars.slice(0, SEARCH_QUERY_MAX).join('').trim();
  const words = [...new Set([...text.matchAll(WORD)].map(([word]) => foldWord(word)))];
  return {
    text,
    cut: chars.length > SEARCH_QUERY_MAX,
    terms: words.slice(0, SEARCH_TERMS_MAX),
    extra: words.slice(SEARCH_TERMS_MAX),
  };
}

/**
 * FTS5 query syntax: each term a string ("..." with any quote doubled), which FTS5 reads as
 * text whatever it holds, side by side (every one must match). The index stores "ё" as "е"
 * (see the SQLite migration Search), so the query does too.
 */
export function fts5Match(terms: readonly string[]): string {
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' ');
}

/**
 * InnoDB BOOLEAN MODE syntax: `+term` for each (every one must match). Terms are letters,
 * digits and marks only, none of the mode's operators (+ - < > ( ) ~ * " @).
 */
export function innodbBooleanMatch(terms: readonly string[]): string {
  return terms
    .map((term) => term.replace(/[^\p{L}\p{N}\p{M}]/gu, ''))
    .filter((term) => term !== '')
    .map((term) => `+${term}`)
    .join(' ');
}
