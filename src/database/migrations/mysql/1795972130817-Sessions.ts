import { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1795972130817 implements MigrationInterface {
  name = 'Sessions1795972130817';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`sessions\` (\`id\` varchar(32) NOT NULL, \`user_id\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, \`expires_at\` datetime(3) NOT NULL, INDEX \`IDX_085d540d9f418cfbdc7bd55bb1\` (\`user_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `ALTER TABLE \`sessions\` ADD CONSTRAINT \`FK_085d540d9f418cfbdc7bd55bb19\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`sessions\` DROP FOREIGN KEY \`FK_085d540d9f418cfbdc7bd55bb19\``,
    );
    await queryRunner.query(`DROP INDEX \`IDX_085d540d9f418cfbdc7bd55bb1\` ON \`sessions\``);
    await queryRunner.query(`DROP TABLE \`sessions\``);
  }
}
