import { MigrationInterface, QueryRunner } from 'typeorm';

export class Users1795583128549 implements MigrationInterface {
  name = 'Users1795583128549';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`users\` (\`id\` int NOT NULL AUTO_INCREMENT, \`username\` varchar(64) NOT NULL, \`email\` varchar(120) NOT NULL, \`password_hash\` varchar(255) NOT NULL, \`about_me\` varchar(1000) NULL, \`role\` varchar(16) NOT NULL DEFAULT 'user', \`created_at\` datetime(3) NOT NULL, \`last_seen\` datetime(3) NOT NULL, \`last_message_read_time\` datetime(3) NULL, UNIQUE INDEX \`IDX_fe0bb3f6520ee0469504521e71\` (\`username\`), UNIQUE INDEX \`IDX_97672ac88f789774dd47f7c8be\` (\`email\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_97672ac88f789774dd47f7c8be\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`IDX_fe0bb3f6520ee0469504521e71\` ON \`users\``);
    await queryRunner.query(`DROP TABLE \`users\``);
  }
}
