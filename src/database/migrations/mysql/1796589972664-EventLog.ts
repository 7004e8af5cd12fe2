import { MigrationInterface, QueryRunner } from 'typeorm';
import { prepareEventLog } from '../../event-log-upgrade';

export class EventLog1796589972664 implements MigrationInterface {
  name = 'EventLog1796589972664';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`announcement_sequence\` (\`id\` int NOT NULL, \`last_seq\` int NOT NULL DEFAULT '0', PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`events\` (\`id\` int NOT NULL AUTO_INCREMENT, \`user_id\` int NULL, \`seq\` int NOT NULL, \`announcements_before\` int NOT NULL, \`name\` varchar(128) NOT NULL, \`payload_json\` text NOT NULL, \`timestamp\` double NOT NULL, INDEX \`IDX_events_timestamp\` (\`timestamp\`), UNIQUE INDEX \`IDX_events_user_seq\` (\`user_id\`, \`seq\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`event_seq\` int NOT NULL DEFAULT '0'`);
    await prepareEventLog(queryRunner);
    await queryRunner.query(
      `CREATE UNIQUE INDEX \`IDX_notifications_user_name\` ON \`notifications\` (\`user_id\`, \`name\`)`,
    );
    // After the unique index: the foreign key on user_id needs an index at every moment.
    await queryRunner.query(`DROP INDEX \`IDX_9a8a82462cab47c73d25f49261\` ON \`notifications\``);
    await queryRunner.query(
      `ALTER TABLE \`events\` ADD CONSTRAINT \`FK_09f256fb7f9a05f0ed9927f406b\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`events\` DROP FOREIGN KEY \`FK_09f256fb7f9a05f0ed9927f406b\``,
    );
    // Before the unique index goes: the foreign key on user_id needs an index at every moment.
    await queryRunner.query(
      `CREATE INDEX \`IDX_9a8a82462cab47c73d25f49261\` ON \`notifications\` (\`user_id\`)`,
    );
    await queryRunner.query(`DROP INDEX \`IDX_notifications_user_name\` ON \`notifications\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`event_seq\``);
    await queryRunner.query(`DROP INDEX \`IDX_events_user_seq\` ON \`events\``);
    await queryRunner.query(`DROP INDEX \`IDX_events_timestamp\` ON \`events\``);
    await queryRunner.query(`DROP TABLE \`events\``);
    await queryRunner.query(`DROP TABLE \`announcement_sequence\``);
  }
}
