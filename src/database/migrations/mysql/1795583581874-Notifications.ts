import { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1795583581874 implements MigrationInterface {
  name = 'Notifications1795583581874';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`notifications\` (\`id\` int NOT NULL AUTO_INCREMENT, \`name\` varchar(128) NOT NULL, \`user_id\` int NOT NULL, \`timestamp\` double NOT NULL, \`payload_json\` text NOT NULL, INDEX \`IDX_9c7b39f42b38591fbb8878c52f\` (\`name\`), INDEX \`IDX_9a8a82462cab47c73d25f49261\` (\`user_id\`), INDEX \`IDX_5f0cceaef187f5c7884891c9e0\` (\`timestamp\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `ALTER TABLE \`notifications\` ADD CONSTRAINT \`FK_9a8a82462cab47c73d25f49261f\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`notifications\` DROP FOREIGN KEY \`FK_9a8a82462cab47c73d25f49261f\``,
    );
    await queryRunner.query(`DROP INDEX \`IDX_5f0cceaef187f5c7884891c9e0\` ON \`notifications\``);
    await queryRunner.query(`DROP INDEX \`IDX_9a8a82462cab47c73d25f49261\` ON \`notifications\``);
    await queryRunner.query(`DROP INDEX \`IDX_9c7b39f42b38591fbb8878c52f\` ON \`notifications\``);
    await queryRunner.query(`DROP TABLE \`notifications\``);
  }
}
