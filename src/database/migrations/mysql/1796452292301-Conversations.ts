import { MigrationInterface, QueryRunner } from 'typeorm';
import { conversationsToReadTimes, readTimesToConversations } from '../../conversation-read-marks';

export class Conversations1796452292301 implements MigrationInterface {
  name = 'Conversations1796452292301';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`blocks\` (\`blocker_id\` int NOT NULL, \`blocked_id\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, PRIMARY KEY (\`blocker_id\`, \`blocked_id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`conversations\` (\`user_id\` int NOT NULL, \`peer_id\` int NOT NULL, \`last_read_at\` datetime(3) NOT NULL, \`unread_count\` int NOT NULL DEFAULT '0', \`last_message_id\` int NULL, \`last_activity_at\` datetime(3) NOT NULL, INDEX \`IDX_conversations_user_activity\` (\`user_id\`, \`last_activity_at\`, \`peer_id\`), PRIMARY KEY (\`user_id\`, \`peer_id\`)) ENGINE=InnoDB`,
    );
    // Not generated: the read marks move from users to conversations (see the helpers).
    await readTimesToConversations(queryRunner);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`last_message_read_time\``);
    await queryRunner.query(
      `CREATE INDEX \`IDX_messages_recipient_sender_timestamp\` ON \`messages\` (\`recipient_id\`, \`sender_id\`, \`timestamp\`)`,
    );
    await queryRunner.query(
      `ALTER TABLE \`blocks\` ADD CONSTRAINT \`FK_74f530c6fbffc357047b263818d\` FOREIGN KEY (\`blocker_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`blocks\` ADD CONSTRAINT \`FK_8aa6c887bed61ad10829450f2f0\` FOREIGN KEY (\`blocked_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`conversations\` ADD CONSTRAINT \`FK_3a9ae579e61e81cc0e989afeb4a\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`conversations\` ADD CONSTRAINT \`FK_0bcc8072c9cda8508a78ceedbd4\` FOREIGN KEY (\`peer_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`conversations\` ADD CONSTRAINT \`FK_a53679287450d522a3f700088e9\` FOREIGN KEY (\`last_message_id\`) REFERENCES \`messages\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`conversations\` DROP FOREIGN KEY \`FK_a53679287450d522a3f700088e9\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`conversations\` DROP FOREIGN KEY \`FK_0bcc8072c9cda8508a78ceedbd4\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`conversations\` DROP FOREIGN KEY \`FK_3a9ae579e61e81cc0e989afeb4a\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`blocks\` DROP FOREIGN KEY \`FK_8aa6c887bed61ad10829450f2f0\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`blocks\` DROP FOREIGN KEY \`FK_74f530c6fbffc357047b263818d\``,
    );
    await queryRunner.query(
      `DROP INDEX \`IDX_messages_recipient_sender_timestamp\` ON \`messages\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`last_message_read_time\` datetime(3) NULL`,
    );
    await conversationsToReadTimes(queryRunner);
    await queryRunner.query(`DROP INDEX \`IDX_conversations_user_activity\` ON \`conversations\``);
    await queryRunner.query(`DROP TABLE \`conversations\``);
    await queryRunner.query(`DROP TABLE \`blocks\``);
  }
}
