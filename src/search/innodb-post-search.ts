import { DataSource } from 'typeorm';
import { InnodbTokenRules, innodbSearchable, readInnodbTokenRules } from './innodb-token-rules';
import {
  PostSearchEngine,
  PostSearchHits,
  SEARCH_CANDIDATES_MAX,
  SearchWindow,
} from './post-search-engine';
import { innodbBooleanMatch } from './search-query';

/**
 * InnoDB finds every post that holds the terms before anything can stop it (a word in 8% of
 * 10^6 posts took 1.1 s to count, bench/search.ts): past this the search is given up.
 */
export const SEARCH_TIME_LIMIT_MS = 3_000;

export interface InnodbSearchOptions {
  candidates?: number;
  /** Null: no limit (EXPLAIN takes no SET STATEMENT). */
  timeLimitMs?: number | null;
  flavour?: 'mariadb' | 'mysql';
}

/** MariaDB's and MySQL's errors for a statement stopped by its time limit. */
const TIMED_OUT = new Set([1969, 3024]);

export function isStatementTimeout(error: unknown): boolean {
  // TypeORM's QueryFailedError carries the driver's error (and copies its fields).
  const failed = error as { errno?: unknown; driverError?: { errno?: unknown } } | null;
  const errno = failed?.driverError?.errno ?? failed?.errno;
  return typeof errno === 'number' && TIMED_OUT.has(errno);
}

/**
 * One page of results for terms InnoDB indexes (exported for bench/search.ts's plans): the
 * newest `candidates` matches the reader may see, ranked by the MATCH score (higher is
 * better), under a time limit (MariaDB's max_statement_time, MySQL's MAX_EXECUTION_TIME).
 */
export function innodbSearchStatement(
  terms: readonly string[],
  viewerId: number,
  { offset, limit }: SearchWindow,
  {
    candidates = SEARCH_CANDIDATES_MAX,
    timeLimitMs = SEARCH_TIME_LIMIT_MS,
    flavour = 'mariadb',
  }: InnodbSearchOptions = {},
): [string, unknown[]] {
  const match = innodbBooleanMatch(terms);
  const limited = timeLimitMs === null ? null : Math.max(1, Math.round(timeLimitMs));
  const prefix =
    limited && flavour === 'mariadb'
      ? `SET STATEMENT max_statement_time = ${limited / 1000} FOR `
      : '';
  const hint = limited && flavour === 'mysql' ? `/*+ MAX_EXECUTION_TIME(${limited}) */ ` : '';
  return [
    `${prefix}SELECT ${hint}c.id AS id FROM (
       SELECT p.id, p.timestamp, MATCH (p.body) AGAINST (? IN BOOLEAN MODE) AS score
       FROM posts p
       WHERE MATCH (p.body) AGAINST (? IN BOOLEAN MODE)
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = p.author_id)
       ORDER BY p.id DESC
       LIMIT ?
     ) c
     ORDER BY c.score DESC, c.timestamp DESC, c.id DESC
     LIMIT ? OFFSET ?`,
    [match, match, viewerId, candidates, limit, offset],
  ];
}

/**
 * MariaDB/MySQL: the FULLTEXT index IDX_posts_body_fulltext (declared on the Post entity),
 * MATCH ... AGAINST in BOOLEAN MODE with every term required. InnoDB's parser leaves out words
 * shorter than innodb_ft_min_token_size (3) or longer than innodb_ft_max_token_size, and
 * stopwords; such terms are not searched for.
 */
export class InnodbPostSearch implements PostSearchEngine {
  private rules?: Promise<InnodbTokenRules>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: InnodbSearchOptions = {},
  ) {}

  async search(
    allTerms: readonly string[],
    viewerId: number,
    window: SearchWindow,
  ): Promise<PostSearchHits> {
    const terms = innodbSearchable(allTerms, await this.tokenRules());
    if (terms.length === 0) {
      return { ids: [], terms: [] };
    }
    const flavour = this.dataSource.options.type === 'mysql' ? 'mysql' : 'mariadb';
    try {
      const rows = await this.dataSource.query<{ id: number }[]>(
        ...innodbSearchStatement(terms, viewerId, window, { flavour, ...this.options }),
      );
      return { ids: rows.map((row) => Number(row.id)), terms };
    } catch (error) {
      if (isStatementTimeout(error)) {
        return { ids: [], terms, tooBroad: true };
      }
      throw error;
    }
  }

  /** The server's settings, read once (a failed read is tried again by the next search). */
  private tokenRules(): Promise<InnodbTokenRules> {
    this.rules ??= readInnodbTokenRules(this.dataSource).catch((error: unknown) => {
      this.rules = undefined;
      throw error;
    });
    return this.rules;
  }
}
