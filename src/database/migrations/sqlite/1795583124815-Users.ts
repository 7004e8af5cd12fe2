import { MigrationInterface, QueryRunner } from 'typeorm';

export class Users1795583124815 implements MigrationInterface {
  name = 'Users1795583124815';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "users" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "username" varchar(64) NOT NULL, "email" varchar(120) NOT NULL, "password_hash" varchar(255) NOT NULL, "about_me" varchar(1000), "role" varchar(16) NOT NULL DEFAULT ('user'), "created_at" datetime(3) NOT NULL, "last_seen" datetime(3) NOT NULL, "last_message_read_time" datetime(3), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
