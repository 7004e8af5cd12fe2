/** Which slice of the ranked results a page wants. */
export interface SearchWindow {
  offset: number;
  limit: number;
}

export interface PostSearchHits {
  /** Post ids, the best match first; of equally good ones the newest first. */
  ids: number[];
  /** The terms that were searched for: an engine may be unable to search some (see InnoDB). */
  terms: string[];
  /** The engine gave up: so many posts hold the terms that ranking them took too long. */
  tooBroad?: boolean;
}

/**
 * Ranking reads every candidate, so only the newest this many posts that hold every term (and
 * that the reader may see) are ranked: a common word costs no more than this many matches. At
 * 10^6 posts a word in 8% of them took 224 ms to rank in full on SQLite (bench/search.ts).
 */
export const SEARCH_CANDIDATES_MAX = 10_000;

/**
 * What the search module needs of a full-text engine. One implementation per database today
 * (SQLite FTS5, InnoDB FULLTEXT), both inside the database the posts live in; an external
 * engine (Meilisearch, OpenSearch) would be a third, fed from the posts' create and delete
 * events, with the blocked authors passed as a filter.
 */
export interface PostSearchEngine {
  /**
   * The posts that contain every one of `terms` (folded words, see parseSearchQuery), without
   * those of the authors `viewerId` blocked: the newest SEARCH_CANDIDATES_MAX of them ranked.
   */
  search(terms: readonly string[], viewerId: number, window: SearchWindow): Promise<PostSearchHits>;
}

export const POST_SEARCH_ENGINE = Symbol('PostSearchEngine');
