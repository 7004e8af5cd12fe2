import { MigrationInterface, QueryRunner } from 'typeorm';

export class Search1796612270302 implements MigrationInterface {
  name = 'Search1796612270302';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FULLTEXT INDEX \`IDX_posts_body_fulltext\` ON \`posts\` (\`body\`)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_posts_body_fulltext\` ON \`posts\``);
  }
}
