import { DataSource } from 'typeorm';
import { PostSearchEngine, PostSearchHits, SearchWindow } from './post-search-engine';
import { fts5Match } from './search-query';

/**
 * SQLite: the FTS5 table posts_fts (contentless, kept by triggers on posts in the same
 * statement as every write; see the SQLite migration Search), ranked by bm25 (FTS5's `rank`,
 * lower is better). Ranking reads every match: see bench/results/search.md for what that costs.
 */
export class Fts5PostSearch implements PostSearchEngine {
  constructor(private readonly dataSource: DataSource) {}

  async search(
    terms: readonly string[],
    viewerId: number,
    { offset, limit }: SearchWindow,
  ): Promise<PostSearchHits> {
    if (terms.length === 0) {
      return { ids: [], terms: [] };
    }
    const rows = await this.dataSource.query<{ id: number }[]>(
      `SELECT p.id AS id FROM posts_fts f
       JOIN posts p ON p.id = f.rowid
       WHERE f.posts_fts MATCH ?
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = p.author_id)
       ORDER BY f.rank, p.timestamp DESC, p.id DESC
       LIMIT ? OFFSET ?`,
      [fts5Match(terms), viewerId, limit, offset],
    );
    return { ids: rows.map((row) => Number(row.id)), terms: [...terms] };
  }
}
