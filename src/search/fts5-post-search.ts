import { DataSource } from 'typeorm';
import {
  PostSearchEngine,
  PostSearchHits,
  SEARCH_CANDIDATES_MAX,
  SearchWindow,
} from './post-search-engine';
import { fts5Match } from './search-query';

/**
 * One page of results (exported for bench/search.ts's plans). The candidates are read newest
 * first straight from the FTS5 index (its rowid is the post id) and the reading stops at
 * `candidates`; bm25 (FTS5's `rank`, lower is better) is computed for those only.
 */
export function fts5SearchStatement(
  terms: readonly string[],
  viewerId: number,
  { offset, limit }: SearchWindow,
  candidates = SEARCH_CANDIDATES_MAX,
): [string, unknown[]] {
  return [
    `WITH candidates AS (
       SELECT f.rowid AS id, f.rank AS rank, p.timestamp AS timestamp
       FROM posts_fts f JOIN posts p ON p.id = f.rowid
       WHERE f.posts_fts MATCH ?
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = p.author_id)
       ORDER BY f.rowid DESC
       LIMIT ?
     )
     SELECT id FROM candidates ORDER BY rank, timestamp DESC, id DESC LIMIT ? OFFSET ?`,
    [fts5Match(terms), viewerId, candidates, limit, offset],
  ];
}

/**
 * SQLite: the FTS5 table posts_fts (contentless, kept by triggers on posts in the same
 * statement as every write; see the SQLite migration Search).
 */
export class Fts5PostSearch implements PostSearchEngine {
  constructor(
    private readonly dataSource: DataSource,
    private readonly candidates = SEARCH_CANDIDATES_MAX,
  ) {}

  async search(
    terms: readonly string[],
    viewerId: number,
    window: SearchWindow,
  ): Promise<PostSearchHits> {
    if (terms.length === 0) {
      return { ids: [], terms: [] };
    }
    const rows = await this.dataSource.query<{ id: number }[]>(
      ...fts5SearchStatement(terms, viewerId, window, this.candidates),
    );
    return { ids: rows.map((row) => Number(row.id)), terms: [...terms] };
  }
}
