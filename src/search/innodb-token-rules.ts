import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

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

const logger = new Logger('InnodbTokenRules');

/**
 * The server's rules: innodb_ft_min_token_size / max_token_size, and the stopwords when they
 * are on (the server's own table, named "db/table", or InnoDB's default list).
 */
export async function readInnodbTokenRules(dataSource: DataSource): Promise<InnodbTokenRules> {
  const [settings] = await dataSource.query<Record<string, unknown>[]>(
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
  const own = typeof settings.own === 'string' && settings.own ? settings.own.split('/') : null;
  const table = own
    ? `\`${own[0].replaceAll('`', '``')}\`.\`${(own[1] ?? '').replaceAll('`', '``')}\``
    : 'INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD';
  try {
    const words = await dataSource.query<{ value: string }[]>(`SELECT value FROM ${table}`);
    return { ...rules, stopwords: new Set(words.map((w) => String(w.value).toLowerCase())) };
  } catch (error) {
    logger.warn(`Cannot read the FULLTEXT stopwords (${String(error)}): using InnoDB's`);
    return { ...rules, stopwords: new Set(INNODB_DEFAULT_STOPWORDS) };
  }
}
