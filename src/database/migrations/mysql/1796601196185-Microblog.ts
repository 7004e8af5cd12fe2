import { MigrationInterface, QueryRunner } from 'typeorm';

export class Microblog1796601196185 implements MigrationInterface {
  name = 'Microblog1796601196185';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`follows\` (\`follower_id\` int NOT NULL, \`followed_id\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`IDX_follows_followed_follower\` (\`followed_id\`, \`follower_id\`), INDEX \`IDX_follows_follower_created\` (\`follower_id\`, \`created_at\`), INDEX \`IDX_follows_followed_created\` (\`followed_id\`, \`created_at\`), PRIMARY KEY (\`follower_id\`, \`followed_id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`notification_groups\` (\`id\` int NOT NULL AUTO_INCREMENT, \`user_id\` int NOT NULL, \`kind\` varchar(16) NOT NULL, \`group_key\` varchar(100) NOT NULL, \`count\` int NOT NULL DEFAULT '1', \`actor_ids\` varchar(200) NOT NULL DEFAULT '[]', \`post_id\` int NULL, \`text\` varchar(1000) NULL, \`latest_at\` datetime(3) NOT NULL, INDEX \`IDX_9fcb2e15e7def82fa813ace77d\` (\`post_id\`), INDEX \`IDX_notification_groups_latest\` (\`user_id\`, \`latest_at\`, \`id\`), UNIQUE INDEX \`IDX_notification_groups_key\` (\`user_id\`, \`group_key\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`posts\` (\`id\` int NOT NULL AUTO_INCREMENT, \`author_id\` int NOT NULL, \`body\` varchar(1000) NOT NULL, \`timestamp\` datetime(3) NOT NULL, \`fanout_after\` int NULL, INDEX \`IDX_96529ff59ee13a6c9ce87b08d9\` (\`fanout_after\`), INDEX \`IDX_posts_timestamp\` (\`timestamp\`, \`id\`), INDEX \`IDX_posts_author_timestamp\` (\`author_id\`, \`timestamp\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`timeline_entries\` (\`user_id\` int NOT NULL, \`post_id\` int NOT NULL, \`author_id\` int NOT NULL, \`timestamp\` datetime(3) NOT NULL, INDEX \`IDX_c47c3f0d39da128f98e3838591\` (\`post_id\`), INDEX \`IDX_timeline_user_author\` (\`user_id\`, \`author_id\`), INDEX \`IDX_timeline_user_timestamp\` (\`user_id\`, \`timestamp\`, \`post_id\`), PRIMARY KEY (\`user_id\`, \`post_id\`)) ENGINE=InnoDB`,
    );
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`posts_count\` int NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`followers_count\` int NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`following_count\` int NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`unseen_notifications\` int NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`notifications_seen_at\` datetime(3) NULL`);
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`notify_follows\` tinyint NOT NULL DEFAULT 1`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`notify_mentions\` tinyint NOT NULL DEFAULT 1`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`notify_messages\` tinyint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`notify_announcements\` tinyint NOT NULL DEFAULT 1`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`mentions_from_following_only\` tinyint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `ALTER TABLE \`users\` ADD \`messages_from_following_only\` tinyint NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `ALTER TABLE \`follows\` ADD CONSTRAINT \`FK_54b5dc2739f2dea57900933db66\` FOREIGN KEY (\`follower_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`follows\` ADD CONSTRAINT \`FK_48e534a8c1b29ca3a81e8d112b7\` FOREIGN KEY (\`followed_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`notification_groups\` ADD CONSTRAINT \`FK_2f137bd74d40fb33e93ff45b06e\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`notification_groups\` ADD CONSTRAINT \`FK_9fcb2e15e7def82fa813ace77d1\` FOREIGN KEY (\`post_id\`) REFERENCES \`posts\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`posts\` ADD CONSTRAINT \`FK_312c63be865c81b922e39c2475e\` FOREIGN KEY (\`author_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`timeline_entries\` ADD CONSTRAINT \`FK_57011afc49fd445a1aa9e0dc687\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE \`timeline_entries\` ADD CONSTRAINT \`FK_c47c3f0d39da128f98e3838591f\` FOREIGN KEY (\`post_id\`) REFERENCES \`posts\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE \`timeline_entries\` DROP FOREIGN KEY \`FK_c47c3f0d39da128f98e3838591f\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`timeline_entries\` DROP FOREIGN KEY \`FK_57011afc49fd445a1aa9e0dc687\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`posts\` DROP FOREIGN KEY \`FK_312c63be865c81b922e39c2475e\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`notification_groups\` DROP FOREIGN KEY \`FK_9fcb2e15e7def82fa813ace77d1\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`notification_groups\` DROP FOREIGN KEY \`FK_2f137bd74d40fb33e93ff45b06e\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`follows\` DROP FOREIGN KEY \`FK_48e534a8c1b29ca3a81e8d112b7\``,
    );
    await queryRunner.query(
      `ALTER TABLE \`follows\` DROP FOREIGN KEY \`FK_54b5dc2739f2dea57900933db66\``,
    );
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`messages_from_following_only\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`mentions_from_following_only\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`notify_announcements\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`notify_messages\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`notify_mentions\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`notify_follows\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`notifications_seen_at\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`unseen_notifications\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`following_count\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`followers_count\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`posts_count\``);
    await queryRunner.query(`DROP INDEX \`IDX_timeline_user_timestamp\` ON \`timeline_entries\``);
    await queryRunner.query(`DROP INDEX \`IDX_timeline_user_author\` ON \`timeline_entries\``);
    await queryRunner.query(
      `DROP INDEX \`IDX_c47c3f0d39da128f98e3838591\` ON \`timeline_entries\``,
    );
    await queryRunner.query(`DROP TABLE \`timeline_entries\``);
    await queryRunner.query(`DROP INDEX \`IDX_posts_author_timestamp\` ON \`posts\``);
    await queryRunner.query(`DROP INDEX \`IDX_posts_timestamp\` ON \`posts\``);
    await queryRunner.query(`DROP INDEX \`IDX_96529ff59ee13a6c9ce87b08d9\` ON \`posts\``);
    await queryRunner.query(`DROP TABLE \`posts\``);
    await queryRunner.query(
      `DROP INDEX \`IDX_notification_groups_key\` ON \`notification_groups\``,
    );
    await queryRunner.query(
      `DROP INDEX \`IDX_notification_groups_latest\` ON \`notification_groups\``,
    );
    await queryRunner.query(
      `DROP INDEX \`IDX_9fcb2e15e7def82fa813ace77d\` ON \`notification_groups\``,
    );
    await queryRunner.query(`DROP TABLE \`notification_groups\``);
    await queryRunner.query(`DROP INDEX \`IDX_follows_followed_created\` ON \`follows\``);
    await queryRunner.query(`DROP INDEX \`IDX_follows_follower_created\` ON \`follows\``);
    await queryRunner.query(`DROP INDEX \`IDX_follows_followed_follower\` ON \`follows\``);
    await queryRunner.query(`DROP TABLE \`follows\``);
  }
}
