import { MigrationInterface, QueryRunner } from 'typeorm';

export class PrivateMessages1795583568727 implements MigrationInterface {
  name = 'PrivateMessages1795583568727';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`messages\` (\`id\` int NOT NULL AUTO_INCREMENT, \`sender_id\` int NOT NULL, \`recipient_id\` int NOT NULL, \`body\` varchar(1000) NOT NULL, \`timestamp\` datetime(3) NOT NULL, INDEX \`IDX_22133395bd13b970ccd0c34ab2\` (\`sender_id\`), INDEX \`IDX_f2113da562ea5bb1ddff44ff60\` (\`timestamp\`), INDEX \`IDX_messages_recipient_timestamp\` (\`recipient_id\`, \`timestamp\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `ALTER TABLE \`messages\` ADD CONSTRAINT \`FK_22133395bd13b970ccd0c34ab22\` FOREIGN KEY (\`sender_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`messages\` ADD CONSTRAINT \`FK_566c3d68184e83d4307b86f85ab\` FOREIGN KEY (\`recipient_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`messages\` DROP FOREIGN KEY \`FK_566c3d68184e83d4307b86f85ab\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`messages\` DROP FOREIGN KEY \`FK_22133395bd13b970ccd0c34ab22\``,
    );
    await queryRunner.query(`DROP INDEX \`IDX_messages_recipient_timestamp\` ON \`messages\``);
    await queryRunner.query(`DROP INDEX \`IDX_f2113da562ea5bb1ddff44ff60\` ON \`messages\``);
    await queryRunner.query(`DROP INDEX \`IDX_22133395bd13b970ccd0c34ab2\` ON \`messages\``);
    await queryRunner.query(`DROP TABLE \`messages\``);
  }
}
