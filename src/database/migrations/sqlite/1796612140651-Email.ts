import { MigrationInterface, QueryRunner } from 'typeorm';
import { withoutSqliteForeignKeys } from '../../sqlite-foreign-keys';
import { keepingSqliteSequence } from '../../sqlite-sequence';

export class Email1796612140651 implements MigrationInterface {
  name = 'Email1796612140651';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Rebuilds users (keeping its id counter) and the tables pointing at it (see
    // withoutSqliteForeignKeys).
    await withoutSqliteForeignKeys(queryRunner, () =>
      keepingSqliteSequence(queryRunner, 'users', async () => {
        await queryRunner.query(
          `CREATE TABLE "email_tokens" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "purpose" varchar(32) NOT NULL, "token_hash" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "created_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3), CONSTRAINT "UQ_8acb431edfc9f9d0e77741468ed" UNIQUE ("token_hash"))`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_email_tokens_user_purpose" ON "email_tokens" ("user_id", "purpose", "created_at") `,
        );
        await queryRunner.query(
          `CREATE TABLE "leases" ("name" varchar(64) PRIMARY KEY NOT NULL, "holder" varchar(128) NOT NULL, "expires_at" datetime(3) NOT NULL)`,
        );
        await queryRunner.query(
          `CREATE TABLE "outbound_emails" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer, "kind" varchar(32) NOT NULL, "to_address" varchar(120) NOT NULL, "subject" varchar(255) NOT NULL, "text_body" text NOT NULL, "html_body" text NOT NULL, "headers" text NOT NULL, "message_id" varchar(190) NOT NULL, "status" varchar(16) NOT NULL DEFAULT ('pending'), "attempts" integer NOT NULL DEFAULT (0), "next_attempt_at" datetime(3) NOT NULL, "claimed_until" datetime(3), "last_error" varchar(500), "created_at" datetime(3) NOT NULL, "sent_at" datetime(3), CONSTRAINT "UQ_9cc4e64c04b3aabe01afa508bed" UNIQUE ("message_id"))`,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_7fb6af26ea1d5e3e853d5ad85a" ON "outbound_emails" ("user_id") `,
        );
        await queryRunner.query(
          `CREATE INDEX "IDX_outbound_emails_due" ON "outbound_emails" ("status", "next_attempt_at", "id") `,
        );
        await queryRunner.query(
          `CREATE TABLE "temporary_users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "disabled" boolean NOT NULL DEFAULT (0), "username_lower" varchar(64) NOT NULL AS (LOWER(username)) STORED, "event_seq" integer NOT NULL DEFAULT (0), "posts_count" integer NOT NULL DEFAULT (0), "followers_count" integer NOT NULL DEFAULT (0), "following_count" integer NOT NULL DEFAULT (0), "unseen_notifications" integer NOT NULL DEFAULT (0), "notifications_seen_at" datetime(3), "notify_follows" boolean NOT NULL DEFAULT (1), "notify_mentions" boolean NOT NULL DEFAULT (1), "notify_messages" boolean NOT NULL DEFAULT (0), "notify_announcements" boolean NOT NULL DEFAULT (1), "mentions_from_following_only" boolean NOT NULL DEFAULT (0), "messages_from_following_only" boolean NOT NULL DEFAULT (0), "language" varchar(8) NOT NULL DEFAULT ('en'), "email_confirmed_at" datetime(3), "password_changed_at" datetime(3), "email_follows" boolean NOT NULL DEFAULT (0), "email_mentions" boolean NOT NULL DEFAULT (1), "email_messages" boolean NOT NULL DEFAULT (1), "email_announcements" boolean NOT NULL DEFAULT (0), "digested_until" datetime(3), "digest_sent_at" datetime(3), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_3e5871407d4d5b0aaab14db656f" UNIQUE ("username_lower"))`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_users"("id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq", "posts_count", "followers_count", "following_count", "unseen_notifications", "notifications_seen_at", "notify_follows", "notify_mentions", "notify_messages", "notify_announcements", "mentions_from_following_only", "messages_from_following_only") SELECT "id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq", "posts_count", "followers_count", "following_count", "unseen_notifications", "notifications_seen_at", "notify_follows", "notify_mentions", "notify_messages", "notify_announcements", "mentions_from_following_only", "messages_from_following_only" FROM "users"`,
        );
        await queryRunner.query(`DROP TABLE "users"`);
        await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
        await queryRunner.query(`DROP INDEX "IDX_email_tokens_user_purpose"`);
        await queryRunner.query(
          `CREATE TABLE "temporary_email_tokens" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "purpose" varchar(32) NOT NULL, "token_hash" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "created_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3), CONSTRAINT "UQ_8acb431edfc9f9d0e77741468ed" UNIQUE ("token_hash"), CONSTRAINT "FK_018295f41628791c301bfe8b625" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
        );
        await queryRunner.query(
          `INSERT INTO "temporary_email_tokens"("id", "user_id", "purpose", "token_hash", "email", "created_at", "expires_at", "used_at") SELECT "id", "user_id", "purpose", "token_hash", "email", "created_at", "expires_at", "used_at" FROM "email_tokens"`,
        );
        await queryRunner.query(`DROP TABLE "email_tokens"`);
        await queryRunner.query(`ALTER TABLE "temporary_email_tokens" RENAME TO "email_tokens"`);
        await queryRunner.query(
          `CREATE INDEX "IDX_email_tokens_user_purpose" ON "email_tokens" ("user_id", "purpose", "created_at") `,
        );
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withoutSqliteForeignKeys(queryRunner, () =>
      keepingSqliteSequence(queryRunner, 'users', async () => {
        await queryRunner.query(`DROP INDEX "IDX_email_tokens_user_purpose"`);
        await queryRunner.query(`ALTER TABLE "email_tokens" RENAME TO "temporary_email_tokens"`);
        await queryRunner.query(
          `CREATE TABLE "email_tokens" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "user_id" integer NOT NULL, "purpose" varchar(32) NOT NULL, "token_hash" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "created_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3), CONSTRAINT "UQ_8acb431edfc9f9d0e77741468ed" UNIQUE ("token_hash"))`,
        );
        await queryRunner.query(
          `INSERT INTO "email_tokens"("id", "user_id", "purpose", "token_hash", "email", "created_at", "expires_at", "used_at") SELECT "id", "user_id", "purpose", "token_hash", "email", "created_at", "expires_at", "used_at" FROM "temporary_email_tokens"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_email_tokens"`);
        await queryRunner.query(
          `CREATE INDEX "IDX_email_tokens_user_purpose" ON "email_tokens" ("user_id", "purpose", "created_at") `,
        );
        await queryRunner.query(`ALTER TABLE "users" RENAME TO "temporary_users"`);
        await queryRunner.query(
          `CREATE TABLE "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "disabled" boolean NOT NULL DEFAULT (0), "username_lower" varchar(64) NOT NULL AS (LOWER(username)) STORED, "event_seq" integer NOT NULL DEFAULT (0), "posts_count" integer NOT NULL DEFAULT (0), "followers_count" integer NOT NULL DEFAULT (0), "following_count" integer NOT NULL DEFAULT (0), "unseen_notifications" integer NOT NULL DEFAULT (0), "notifications_seen_at" datetime(3), "notify_follows" boolean NOT NULL DEFAULT (1), "notify_mentions" boolean NOT NULL DEFAULT (1), "notify_messages" boolean NOT NULL DEFAULT (0), "notify_announcements" boolean NOT NULL DEFAULT (1), "mentions_from_following_only" boolean NOT NULL DEFAULT (0), "messages_from_following_only" boolean NOT NULL DEFAULT (0), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_3e5871407d4d5b0aaab14db656f" UNIQUE ("username_lower"))`,
        );
        await queryRunner.query(
          `INSERT INTO "users"("id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq", "posts_count", "followers_count", "following_count", "unseen_notifications", "notifications_seen_at", "notify_follows", "notify_mentions", "notify_messages", "notify_announcements", "mentions_from_following_only", "messages_from_following_only") SELECT "id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "disabled", "event_seq", "posts_count", "followers_count", "following_count", "unseen_notifications", "notifications_seen_at", "notify_follows", "notify_mentions", "notify_messages", "notify_announcements", "mentions_from_following_only", "messages_from_following_only" FROM "temporary_users"`,
        );
        await queryRunner.query(`DROP TABLE "temporary_users"`);
        await queryRunner.query(`DROP INDEX "IDX_outbound_emails_due"`);
        await queryRunner.query(`DROP INDEX "IDX_7fb6af26ea1d5e3e853d5ad85a"`);
        await queryRunner.query(`DROP TABLE "outbound_emails"`);
        await queryRunner.query(`DROP TABLE "leases"`);
        await queryRunner.query(`DROP INDEX "IDX_email_tokens_user_purpose"`);
        await queryRunner.query(`DROP TABLE "email_tokens"`);
      }),
    );
  }
}
