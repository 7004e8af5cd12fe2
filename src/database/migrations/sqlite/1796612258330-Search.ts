import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the index holds of a post's body: its text with "ё" read as "е" (unicode61 folds Latin
 * accents, not that letter; MariaDB's collation folds both), as src/search/search-query.ts
 * folds the query.
 */
const indexed = (column: string) => `replace(replace(${column}, 'ё', 'е'), 'Ё', 'Е')`;

export class Search1796612258330 implements MigrationInterface {
  name = 'Search1796612258330';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Generated: the entity's FULLTEXT index, which SQLite builds as an empty partial index
    // (see the Post entity).
    await queryRunner.query(`CREATE INDEX "IDX_posts_body_fulltext" ON "posts" ("body") WHERE 0`);
    // Written by hand, as the CLI knows nothing of virtual tables or triggers: the FTS5 index
    // of the posts' words. Contentless (it keeps no copy of the bodies; a delete needs only the
    // rowid), case and Latin accents folded by unicode61. The triggers write it in the
    // statement that writes the post, so in the same transaction.
    await queryRunner.query(
      `CREATE VIRTUAL TABLE "posts_fts" USING fts5(body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "posts_fts_insert" AFTER INSERT ON "posts" BEGIN
         INSERT INTO "posts_fts" (rowid, body) VALUES (new.id, ${indexed('new.body')});
       END`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "posts_fts_delete" AFTER DELETE ON "posts" BEGIN
         DELETE FROM "posts_fts" WHERE rowid = old.id;
       END`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "posts_fts_update" AFTER UPDATE OF "id", "body" ON "posts" BEGIN
         DELETE FROM "posts_fts" WHERE rowid = old.id;
         INSERT INTO "posts_fts" (rowid, body) VALUES (new.id, ${indexed('new.body')});
       END`,
    );
    await queryRunner.query(
      `INSERT INTO "posts_fts" (rowid, body) SELECT "id", ${indexed('"body"')} FROM "posts"`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "posts_fts_update"`);
    await queryRunner.query(`DROP TRIGGER "posts_fts_delete"`);
    await queryRunner.query(`DROP TRIGGER "posts_fts_insert"`);
    await queryRunner.query(`DROP TABLE "posts_fts"`);
    await queryRunner.query(`DROP INDEX "IDX_posts_body_fulltext"`);
  }
}
