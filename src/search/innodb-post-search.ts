import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PostSearchEngine, PostSearchHits, SearchWindow } from './post-search-engine';
import { innodbBooleanMatch } from './search-query';

/**
 * InnoDB's built-in stopword list (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD), for a server
 * that does not let the app read it (that table needs the PROCESS privilege).
 */
// prettier-ignore
export const INNODB_DEFAULT_STOPWORDS = [
  'a', 'about', 'an', 'are', 'as', 'at', 'be', 'by', 'com', 'de', 'en', 'for', 'from', 'how',
  'i', 'in', 'is', 'it', 'la', 'of', 'on', 'or', 'that', 'the', 'this', 'to', 'was', 'what',
  'when', 'where', 'who', 'will', 'with', 'und', 'www',
];

/** What InnoDB leaves out of a FULLTEXT index, so a `+term` of it would match nothing. */
export interface InnodbTokenRules {
  minLength: number;
  maxLength: number;
  stopwords: ReadonlySet<string>;
}

/** The terms InnoDB indexes: a required term it does not index makes every query empty. */
export function innodbSearchable(terms: readonly string[], rules: InnodbTokenRules): string[] {
  return terms.filter((term) => {
    const length = [...term].length;
    return length >= rules.minLength && length <= rules.maxLength && !rules.stopwords.has(term);
  });
}

/**
 * MariaDB/MySQL: the FULLTEXT index IDX_posts_body_fulltext (declared on the Post entity),
 * MATCH ... AGAINST in BOOLEAN MODE with every term required, ranked by its score (higher is
 * better). InnoDB's parser leaves out words shorter than innodb_ft_min_token_size (3) or
 * longer than innodb_ft_max_token_size, and stopwords; such terms are not searched for.
 */
export class InnodbPostSearch implements PostSearchEngine {
  private readonly logger = new Logger(InnodbPostSearch.name);
  private rules?: Promise<InnodbTokenRules>;

  constructor(private readonly dataSource: DataSource) {}

  async search(
    allTerms: readonly string[],
    viewerId: number,
    { offset, limit }: SearchWindow,
  ): Promise<PostSearchHits> {
    const terms = innodbSearchable(allTerms, await this.tokenRules());
    if (terms.length === 0) {
      return { ids: [], terms: [] };
    }
    const match = innodbBooleanMatch(terms);
    const rows = await this.dataSource.query<{ id: number }[]>(
      `SELECT p.id AS id FROM posts p
       WHERE MATCH (p.body) AGAINST (? IN BOOLEAN MODE)
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = ? AND b.blocked_id = p.author_id)
       ORDER BY MATCH (p.body) AGAINST (? IN BOOLEAN MODE) DESC, p.timestamp DESC, p.id DESC
       LIMIT ? OFFSET ?`,
      [match, viewerId, match, limit, offset],
    );
    return { ids: rows.map((row) => Number(row.id)), terms };
  }

  /** The server's settings, read once (a failed read is tried again by the next search). */
  private tokenRules(): Promise<InnodbTokenRules> {
    this.rules ??= this.readTokenRules().catch((error: unknown) => {
      this.rules = undefined;
      throw error;
    });
    return this.rules;
  }

  private async readTokenRules(): Promise<InnodbTokenRules> {
    const [settings] = await this.dataSource.query<Record<string, unknown>[]>(
      `SELECT @@innodb_ft_min_token_size AS minLength, @@innodb_ft_max_token_size AS maxLength,
         @@innodb_ft_enable_stopword AS stopwords, @@innodb_ft_server_stopword_table AS own`,
    );
    const rules = {
      minLength: Number(settings.minLength),
      maxLength: Number(settings.maxLength),
      stopwords: new Set<string>(),
    };
    if (!Number(settings.stopwords)) {
      return rules;
    }
    // A server's own list is a table named "db/table"; otherwise InnoDB's default list.
    const own = typeof settings.own === 'string' && settings.own ? settings.own.split('/') : null;
    const table = own
      ? `\`${own[0].replaceAll('`', '``')}\`.\`${(own[1] ?? '').replaceAll('`', '``')}\``
      : 'INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD';
    try {
      const words = await this.dataSource.query<{ value: string }[]>(`SELECT value FROM ${table}`);
      return { ...rules, stopwords: new Set(words.map((w) => String(w.value).toLowerCase())) };
    } catch (error) {
      this.logger.warn(`Cannot read the FULLTEXT stopwords (${String(error)}): using InnoDB's`);
      return { ...rules, stopwords: new Set(INNODB_DEFAULT_STOPWORDS) };
    }
  }
}
