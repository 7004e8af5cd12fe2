/**
 * Words as search sees them: a letter or digit of any script followed by letters, digits and
 * combining marks. Punctuation, symbols, emoji, "_" and "'" separate words, as they do for
 * SQLite FTS5's unicode61 tokenizer and, but for "_" and "'", for InnoDB's FULLTEXT parser.
 */
export const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/**
 * A word as both engines compare it: lower case, Latin letters without their accents
 * ("Canción" -> "cancion", as FTS5's remove_diacritics 2 and MariaDB's unicode_ci fold them),
 * and "ё" read as "е" (MariaDB's collation does; the SQLite index stores "е" for it). Other
 * scripts keep their marks: "й" stays "й" for both engines.
 */
export function foldWord(word: string): string {
  return word
    .toLowerCase()
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
    .replaceAll('ё', 'е');
}
