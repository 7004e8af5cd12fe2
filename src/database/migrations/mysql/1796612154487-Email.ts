import { MigrationInterface, QueryRunner } from 'typeorm';

export class Email1796612154487 implements MigrationInterface {
  name = 'Email1796612154487';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`email_tokens\` (\`id\` int NOT NULL AUTO_INCREMENT, \`user_id\` int NOT NULL, \`purpose\` varchar(32) NOT NULL, \`token_hash\` varchar(64) NOT NULL, \`email\` varchar(120) NOT NULL, \`created_at\` datetime(3) NOT NULL, \`expires_at\` datetime(3) NOT NULL, \`used_at\` datetime(3) NULL, INDEX \`IDX_email_tokens_user_purpose\` (\`user_id\`, \`purpose\`, \`created_at\`), UNIQUE INDEX \`IDX_8acb431edfc9f9d0e77741468e\` (\`token_hash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`leases\` (\`name\` varchar(64) NOT NULL, \`holder\` varchar(128) NOT NULL, \`expires_at\` datetime(3) NOT NULL, PRIMARY KEY (\`name\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`outbound_emails\` (\`id\` int NOT NULL AUTO_INCREMENT, \`user_id\` int NULL, \`kind\` varchar(32) NOT NULL, \`to_address\` varchar(120) NOT NULL, \`subject\` varchar(255) NOT NULL, \`text_body\` text NOT NULL, \`html_body\` text NOT NULL, \`headers\` text NOT NULL, \`message_id\` varchar(190) NOT NULL, \`status\` varchar(16) NOT NULL DEFAULT 'pending', \`attempts\` int NOT NULL DEFAULT '0', \`next_attempt_at\` datetime(3) NOT NULL, \`claimed_until\` datetime(3) NULL, \`last_error\` varchar(500) NULL, \`created_at\` datetime(3) NOT NULL, \`sent_at\` datetime(3) NULL, INDEX \`IDX_7fb6af26ea1d5e3e853d5ad85a\` (\`user_id\`), INDEX \`IDX_outbound_emails_due\` (\`status\`, \`next_attempt_at\`, \`id\`), UNIQUE INDEX \`IDX_9cc4e64c04b3aabe01afa508be\` (\`message_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`language\` varchar(8) NOT NULL DEFAULT 'en'`,
    );
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`email_confirmed_at\` datetime(3) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`password_changed_at\` datetime(3) NULL`);
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`email_follows\` tinyint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`email_mentions\` tinyint NOT NULL DEFAULT 1`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`email_messages\` tinyint NOT NULL DEFAULT 1`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`email_announcements\` tinyint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`digested_until\` datetime(3) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`digest_sent_at\` datetime(3) NULL`);
    await queryRunner.query(
      `ALTER TABLE \`email_tokens\` ADD CONSTRAINT \`FK_018295f41628791c301bfe8b625\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`email_tokens\` DROP FOREIGN KEY \`FK_018295f41628791c301bfe8b625\``,
    );
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`digest_sent_at\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`digested_until\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`email_announcements\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`email_messages\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`email_mentions\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`email_follows\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`password_changed_at\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`email_confirmed_at\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`language\``);
    await queryRunner.query(`DROP INDEX \`IDX_9cc4e64c04b3aabe01afa508be\` ON \`outbound_emails\``);
    await queryRunner.query(`DROP INDEX \`IDX_outbound_emails_due\` ON \`outbound_emails\``);
    await queryRunner.query(`DROP INDEX \`IDX_7fb6af26ea1d5e3e853d5ad85a\` ON \`outbound_emails\``);
    await queryRunner.query(`DROP TABLE \`outbound_emails\``);
    await queryRunner.query(`DROP TABLE \`leases\``);
    await queryRunner.query(`DROP INDEX \`IDX_8acb431edfc9f9d0e77741468e\` ON \`email_tokens\``);
    await queryRunner.query(`DROP INDEX \`IDX_email_tokens_user_purpose\` ON \`email_tokens\``);
    await queryRunner.query(`DROP TABLE \`email_tokens\``);
  }
}
