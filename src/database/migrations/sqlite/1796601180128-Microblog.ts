import { MigrationInterface, QueryRunner } from 'typeorm';
import { withoutSqliteForeignKeys } from '../../sqlite-foreign-keys';
import { keepingSqliteSequence } from '../../sqlite-sequence';

export class Microblog1796601180128 implements MigrationInterface {
  name = 'Microblog1796601180128';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Rebuilds users (keeping its id counter) and the tables pointing at it (see
    // withoutSqliteForeignKeys).
    await withoutSqliteForeignKeys(queryRunner, () =>
      keepingSqliteSequence(queryRunner, 'users', async () => {
        await queryRunner.query(
          `CREATE TABLE "follows" ("follower_id" integer NOT NULL, "followed_id" integer NOT NULL, "created_at" datetime(3) NOT NULL, PRIMARY KEY ("follower_id", "followed_id"))`,
        );
        await queryRunner.query(
          `CREATE UNIQUE INDEX "IDX_follows_followed_follower" ON "follows" ("followed_id", "follower_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_follows_follower_created" ON "follows" ("follower_id", "created_at") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_follows_followed_created" ON "follows" ("followed_id", "created_at") `,
        );
        await queryRunner.query(
          `CREATE TABLE "notification_groups" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "kind" varchar(16) NOT NULL, "group_key" varchar(100) NOT NULL, "count" integer NOT NULL DEFAULT (1), "actor_ids" varchar(200) NOT NULL DEFAULT ('[]'), "post_id" integer, "text" varchar(1000), "latest_at" datetime(3) NOT NULL)`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_9fcb2e15e7def82fa813ace77d" ON "notification_groups" ("post_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_notification_groups_latest" ON "notification_groups" ("user_id", "latest_at", "id") `,
        );
        await queryRunner.query(
          `CREATE UNIQUE INDEX "IDX_notification_groups_key" ON "notification_groups" ("user_id", "group_key") `,
        );
        await queryRunner.query(
          `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "author_id" integer NOT NULL, "body" varchar(1000) NOT NULL, "timestamp" datetime(3) NOT NULL, "fanout_after" integer)`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_96529ff59ee13a6c9ce87b08d9" ON "posts" ("fanout_after") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_posts_timestamp" ON "posts" ("timestamp", "id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_posts_author_timestamp" ON "posts" ("author_id", "timestamp", "id") `,
        );
        await queryRunner.query(
          `CREATE TABLE "timeline_entries" ("user_id" integer NOT NULL, "post_id" integer NOT NULL, "author_id" integer NOT NULL, "timestamp" datetime(3) NOT NULL, PRIMARY KEY ("user_id", "post_id"))`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_c47c3f0d39da128f98e3838591" ON "timeline_entries" ("post_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_timeline_user_author" ON "timeline_entries" ("user_id", "author_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_timeline_user_timestamp" ON "timeline_entries" ("user_id", "timestamp", "post_id") `,
        );
        await queryRunner.query(
          `CREATE TABLE "temporary_users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "disabled" boolean NOT NULL DEFAULT (0), "username_lower" varchar(64) NOT NULL AS (LOWER(username)) STORED, "event_seq" integer NOT NULL DEFAULT (0), "posts_count" integer NOT NULL DEFAULT (0), "followers_count" integer NOT NULL DEFAULT (0), "following_count" integer NOT NULL DEFAULT (0), "unseen_notifications" integer NOT NULL DEFAULT (0), "notifications_seen_at" datetime(3), "notify_follows" boolean NOT NULL DEFAULT (1), "notify_mentions" boolean NOT NULL DEFAULT (1), "notify_messages" boolean NOT NULL DEFAULT (0), "notify_announcements" boolean NOT NULL DEFAULT (1), "mentions_from_following_only" boolean NOT NULL DEFAULT (0), "messages_from_following_only" boolean NOT NULL DEFAULT (0), CONSTRAINT "UQ_3e5871407d4d5b0aaab14db656f" UNIQUE ("username_lower"), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"))`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_users"("id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq") SELECT "id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq" FROM "users"`,
        );
        await queryRunner.query(`DROP TABLE "users"`);
        await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_followed_follower"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_follower_created"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_followed_created"`);
        await queryRunner.query(
          `CREATE TABLE "temporary_follows" ("follower_id" integer NOT NULL, "followed_id" integer NOT NULL, "created_at" datetime(3) NOT NULL, CONSTRAINT "FK_54b5dc2739f2dea57900933db66" FOREIGN KEY ("follower_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_48e534a8c1b29ca3a81e8d112b7" FOREIGN KEY ("followed_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("follower_id", "followed_id"))`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_follows"("follower_id", "followed_id", "created_at") SELECT "follower_id", "followed_id", "created_at" FROM "follows"`,
        );
        await queryRunner.query(`DROP TABLE "follows"`);
        await queryRunner.query(`ALTER TABLE "temporary_follows" RENAME TO "follows"`);
        await queryRunner.query(
          `CREATE UNIQUE INDEX "IDX_follows_followed_follower" ON "follows" ("followed_id", "follower_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_follows_follower_created" ON "follows" ("follower_id", "created_at") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_follows_followed_created" ON "follows" ("followed_id", "created_at") `,
        );
        await queryRunner.query(`DROP INDEX "IDX_9fcb2e15e7def82fa813ace77d"`);
        await queryRunner.query(`DROP INDEX "IDX_notification_groups_latest"`);
        await queryRunner.query(`DROP INDEX "IDX_notification_groups_key"`);
        await queryRunner.query(
          `CREATE TABLE "temporary_notification_groups" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "kind" varchar(16) NOT NULL, "group_key" varchar(100) NOT NULL, "count" integer NOT NULL DEFAULT (1), "actor_ids" varchar(200) NOT NULL DEFAULT ('[]'), "post_id" integer, "text" varchar(1000), "latest_at" datetime(3) NOT NULL, CONSTRAINT "FK_2f137bd74d40fb33e93ff45b06e" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_9fcb2e15e7def82fa813ace77d1" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_notification_groups"("id", "user_id", "kind", "group_key", "count", "actor_ids", "post_id", "text", "latest_at") SELECT "id", "user_id", "kind", "group_key", "count", "actor_ids", "post_id", "text", "latest_at" FROM "notification_groups"`,
        );
        await queryRunner.query(`DROP TABLE "notification_groups"`);
        await queryRunner.query(
          `ALTER TABLE "temporary_notification_groups" RENAME TO "notification_groups"`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_9fcb2e15e7def82fa813ace77d" ON "notification_groups" ("post_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_notification_groups_latest" ON "notification_groups" ("user_id", "latest_at", "id") `,
        );
        await queryRunner.query(
          `CREATE UNIQUE INDEX "IDX_notification_groups_key" ON "notification_groups" ("user_id", "group_key") `,
        );
        await queryRunner.query(`DROP INDEX "IDX_96529ff59ee13a6c9ce87b08d9"`);
        await queryRunner.query(`DROP INDEX "IDX_posts_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_posts_author_timestamp"`);
        await queryRunner.query(
          `CREATE TABLE "temporary_posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "author_id" integer NOT NULL, "body" varchar(1000) NOT NULL, "timestamp" datetime(3) NOT NULL, "fanout_after" integer, CONSTRAINT "FK_312c63be865c81b922e39c2475e" FOREIGN KEY ("author_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_posts"("id", "author_id", "body", "timestamp", "fanout_after") SELECT "id", "author_id", "body", "timestamp", "fanout_after" FROM "posts"`,
        );
        await queryRunner.query(`DROP TABLE "posts"`);
        await queryRunner.query(`ALTER TABLE "temporary_posts" RENAME TO "posts"`);
        await queryRunner.query(
          `CREATE INDEX "IDX_96529ff59ee13a6c9ce87b08d9" ON "posts" ("fanout_after") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_posts_timestamp" ON "posts" ("timestamp", "id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_posts_author_timestamp" ON "posts" ("author_id", "timestamp", "id") `,
        );
        await queryRunner.query(`DROP INDEX "IDX_c47c3f0d39da128f98e3838591"`);
        await queryRunner.query(`DROP INDEX "IDX_timeline_user_author"`);
        await queryRunner.query(`DROP INDEX "IDX_timeline_user_timestamp"`);
        await queryRunner.query(
          `CREATE TABLE "temporary_timeline_entries" ("user_id" integer NOT NULL, "post_id" integer NOT NULL, "author_id" integer NOT NULL, "timestamp" datetime(3) NOT NULL, CONSTRAINT "FK_57011afc49fd445a1aa9e0dc687" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_c47c3f0d39da128f98e3838591f" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("user_id", "post_id"))`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_timeline_entries"("user_id", "post_id", "author_id", "timestamp") SELECT "user_id", "post_id", "author_id", "timestamp" FROM "timeline_entries"`,
        );
        await queryRunner.query(`DROP TABLE "timeline_entries"`);
        await queryRunner.query(
          `ALTER TABLE "temporary_timeline_entries" RENAME TO "timeline_entries"`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_c47c3f0d39da128f98e3838591" ON "timeline_entries" ("post_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_timeline_user_author" ON "timeline_entries" ("user_id", "author_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_timeline_user_timestamp" ON "timeline_entries" ("user_id", "timestamp", "post_id") `,
        );
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withoutSqliteForeignKeys(queryRunner, () =>
      keepingSqliteSequence(queryRunner, 'users', async () => {
        await queryRunner.query(`DROP INDEX "IDX_timeline_user_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_timeline_user_author"`);
        await queryRunner.query(`DROP INDEX "IDX_c47c3f0d39da128f98e3838591"`);
        await queryRunner.query(
          `ALTER TABLE "timeline_entries" RENAME TO "temporary_timeline_entries"`,
        );
        await queryRunner.query(
          `CREATE TABLE "timeline_entries" ("user_id" integer NOT NULL, "post_id" integer NOT NULL, "author_id" integer NOT NULL, "timestamp" datetime(3) NOT NULL, PRIMARY KEY ("user_id", "post_id"))`,
        );
        await queryRunner.query(
          `INSERT INTO "timeline_entries"("user_id", "post_id", "author_id", "timestamp") SELECT "user_id", "post_id", "author_id", "timestamp" FROM "temporary_timeline_entries"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_timeline_entries"`);
        await queryRunner.query(
          `CREATE INDEX "IDX_timeline_user_timestamp" ON "timeline_entries" ("user_id", "timestamp", "post_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_timeline_user_author" ON "timeline_entries" ("user_id", "author_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_c47c3f0d39da128f98e3838591" ON "timeline_entries" ("post_id") `,
        );
        await queryRunner.query(`DROP INDEX "IDX_posts_author_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_posts_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_96529ff59ee13a6c9ce87b08d9"`);
        await queryRunner.query(`ALTER TABLE "posts" RENAME TO "temporary_posts"`);
        await queryRunner.query(
          `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "author_id" integer NOT NULL, "body" varchar(1000) NOT NULL, "timestamp" datetime(3) NOT NULL, "fanout_after" integer)`,
        );
        await queryRunner.query(
          `INSERT INTO "posts"("id", "author_id", "body", "timestamp", "fanout_after") SELECT "id", "author_id", "body", "timestamp", "fanout_after" FROM "temporary_posts"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_posts"`);
        await queryRunner.query(
          `CREATE INDEX "IDX_posts_author_timestamp" ON "posts" ("author_id", "timestamp", "id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_posts_timestamp" ON "posts" ("timestamp", "id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_96529ff59ee13a6c9ce87b08d9" ON "posts" ("fanout_after") `,
        );
        await queryRunner.query(`DROP INDEX "IDX_notification_groups_key"`);
        await queryRunner.query(`DROP INDEX "IDX_notification_groups_latest"`);
        await queryRunner.query(`DROP INDEX "IDX_9fcb2e15e7def82fa813ace77d"`);
        await queryRunner.query(
          `ALTER TABLE "notification_groups" RENAME TO "temporary_notification_groups"`,
        );
        await queryRunner.query(
          `CREATE TABLE "notification_groups" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "kind" varchar(16) NOT NULL, "group_key" varchar(100) NOT NULL, "count" integer NOT NULL DEFAULT (1), "actor_ids" varchar(200) NOT NULL DEFAULT ('[]'), "post_id" integer, "text" varchar(1000), "latest_at" datetime(3) NOT NULL)`,
        );
        await queryRunner.query(
          `INSERT INTO "notification_groups"("id", "user_id", "kind", "group_key", "count", "actor_ids", "post_id", "text", "latest_at") SELECT "id", "user_id", "kind", "group_key", "count", "actor_ids", "post_id", "text", "latest_at" FROM "temporary_notification_groups"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_notification_groups"`);
        await queryRunner.query(
          `CREATE UNIQUE INDEX "IDX_notification_groups_key" ON "notification_groups" ("user_id", "group_key") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_notification_groups_latest" ON "notification_groups" ("user_id", "latest_at", "id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_9fcb2e15e7def82fa813ace77d" ON "notification_groups" ("post_id") `,
        );
        await queryRunner.query(`DROP INDEX "IDX_follows_followed_created"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_follower_created"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_followed_follower"`);
        await queryRunner.query(`ALTER TABLE "follows" RENAME TO "temporary_follows"`);
        await queryRunner.query(
          `CREATE TABLE "follows" ("follower_id" integer NOT NULL, "followed_id" integer NOT NULL, "created_at" datetime(3) NOT NULL, PRIMARY KEY ("follower_id", "followed_id"))`,
        );
        await queryRunner.query(
          `INSERT INTO "follows"("follower_id", "followed_id", "created_at") SELECT "follower_id", "followed_id", "created_at" FROM "temporary_follows"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_follows"`);
        await queryRunner.query(
          `CREATE INDEX "IDX_follows_followed_created" ON "follows" ("followed_id", "created_at") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_follows_follower_created" ON "follows" ("follower_id", "created_at") `,
        );
        await queryRunner.query(
          `CREATE UNIQUE INDEX "IDX_follows_followed_follower" ON "follows" ("followed_id", "follower_id") `,
        );
        await queryRunner.query(`ALTER TABLE "users" RENAME TO "temporary_users"`);
        await queryRunner.query(
          `CREATE TABLE "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "disabled" boolean NOT NULL DEFAULT (0), "username_lower" varchar(64) NOT NULL AS (LOWER(username)) STORED, "event_seq" integer NOT NULL DEFAULT (0), CONSTRAINT "UQ_3e5871407d4d5b0aaab14db656f" UNIQUE ("username_lower"), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"))`,
        );
        await queryRunner.query(
          `INSERT INTO "users"("id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq") SELECT "id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq" FROM "temporary_users"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_users"`);
        await queryRunner.query(`DROP INDEX "IDX_timeline_user_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_timeline_user_author"`);
        await queryRunner.query(`DROP INDEX "IDX_c47c3f0d39da128f98e3838591"`);
        await queryRunner.query(`DROP TABLE "timeline_entries"`);
        await queryRunner.query(`DROP INDEX "IDX_posts_author_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_posts_timestamp"`);
        await queryRunner.query(`DROP INDEX "IDX_96529ff59ee13a6c9ce87b08d9"`);
        await queryRunner.query(`DROP TABLE "posts"`);
        await queryRunner.query(`DROP INDEX "IDX_notification_groups_key"`);
        await queryRunner.query(`DROP INDEX "IDX_notification_groups_latest"`);
        await queryRunner.query(`DROP INDEX "IDX_9fcb2e15e7def82fa813ace77d"`);
        await queryRunner.query(`DROP TABLE "notification_groups"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_followed_created"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_follower_created"`);
        await queryRunner.query(`DROP INDEX "IDX_follows_followed_follower"`);
        await queryRunner.query(`DROP TABLE "follows"`);
      }),
    );
  }
}
