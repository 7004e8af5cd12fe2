import { MigrationInterface, QueryRunner } from 'typeorm';

export class UserDisabled1795584709398 implements MigrationInterface {
  name = 'UserDisabled1795584709398';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "temporary_users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "last_message_read_time" datetime(3), "disabled" boolean NOT NULL DEFAULT (0), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"))`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_users"("id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "last_message_read_time") SELECT "id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "last_message_read_time" FROM "users"`,
    );
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" RENAME TO "temporary_users"`);
    await queryRunner.query(
      `CREATE TABLE "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "last_message_read_time" datetime(3), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"))`,
    );
    await queryRunner.query(
      `INSERT INTO "users"("id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "last_message_read_time") SELECT "id", "username", "email", "password_hash", "about_me", "role", "created_at", "last_seen", "last_message_read_time" FROM "temporary_users"`,
    );
    await queryRunner.query(`DROP TABLE "temporary_users"`);
  }
}
