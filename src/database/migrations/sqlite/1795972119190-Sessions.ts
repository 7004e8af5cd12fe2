import { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1795972119190 implements MigrationInterface {
  name = 'Sessions1795972119190';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" varchar(32) PRIMARY KEY NOT NULL, "user_id" integer NOT NULL, "created_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_085d540d9f418cfbdc7bd55bb1" ON "sessions" ("user_id") `,
    );
    await queryRunner.query(`DROP INDEX "IDX_085d540d9f418cfbdc7bd55bb1"`);
    await queryRunner.query(
      `CREATE TABLE "temporary_sessions" ("id" varchar(32) PRIMARY KEY NOT NULL, "user_id" integer NOT NULL, "created_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, CONSTRAINT "FK_085d540d9f418cfbdc7bd55bb19" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_sessions"("id", "user_id", "created_at", "expires_at") SELECT "id", "user_id", "created_at", "expires_at" FROM "sessions"`,
    );
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`ALTER TABLE "temporary_sessions" RENAME TO "sessions"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_085d540d9f418cfbdc7bd55bb1" ON "sessions" ("user_id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_085d540d9f418cfbdc7bd55bb1"`);
    await queryRunner.query(`ALTER TABLE "sessions" RENAME TO "temporary_sessions"`);
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" varchar(32) PRIMARY KEY NOT NULL, "user_id" integer NOT NULL, "created_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL)`,
    );
    await queryRunner.query(
      `INSERT INTO "sessions"("id", "user_id", "created_at", "expires_at") SELECT "id", "user_id", "created_at", "expires_at" FROM "temporary_sessions"`,
    );
    await queryRunner.query(`DROP TABLE "temporary_sessions"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_085d540d9f418cfbdc7bd55bb1" ON "sessions" ("user_id") `,
    );
    await queryRunner.query(`DROP INDEX "IDX_085d540d9f418cfbdc7bd55bb1"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
  }
}
