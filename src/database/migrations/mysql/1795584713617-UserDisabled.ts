import { MigrationInterface, QueryRunner } from 'typeorm';

export class UserDisabled1795584713617 implements MigrationInterface {
  name = 'UserDisabled1795584713617';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`disabled\` tinyint NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`disabled\``);
  }
}
