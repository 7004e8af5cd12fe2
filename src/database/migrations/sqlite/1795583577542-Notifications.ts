import { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1795583577542 implements MigrationInterface {
  name = 'Notifications1795583577542';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notifications" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(128) NOT NULL, "user_id" integer NOT NULL, "timestamp" double NOT NULL, "payload_json" text NOT NULL)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_9c7b39f42b38591fbb8878c52f" ON "notifications" ("name") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_9a8a82462cab47c73d25f49261" ON "notifications" ("user_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_5f0cceaef187f5c7884891c9e0" ON "notifications" ("timestamp") `,
    );
    await queryRunner.query(`DROP INDEX "IDX_9c7b39f42b38591fbb8878c52f"`);
    await queryRunner.query(`DROP INDEX "IDX_9a8a82462cab47c73d25f49261"`);
    await queryRunner.query(`DROP INDEX "IDX_5f0cceaef187f5c7884891c9e0"`);
    await queryRunner.query(
      `CREATE TABLE "temporary_notifications" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(128) NOT NULL, "user_id" integer NOT NULL, "timestamp" double NOT NULL, "payload_json" text NOT NULL, CONSTRAINT "FK_9a8a82462cab47c73d25f49261f" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_notifications"("id", "name", "user_id", "timestamp", "payload_json") SELECT "id", "name", "user_id", "timestamp", "payload_json" FROM "notifications"`,
    );
    await queryRunner.query(`DROP TABLE "notifications"`);
    await queryRunner.query(`ALTER TABLE "temporary_notifications" RENAME TO "notifications"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_9c7b39f42b38591fbb8878c52f" ON "notifications" ("name") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_9a8a82462cab47c73d25f49261" ON "notifications" ("user_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_5f0cceaef187f5c7884891c9e0" ON "notifications" ("timestamp") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_5f0cceaef187f5c7884891c9e0"`);
    await queryRunner.query(`DROP INDEX "IDX_9a8a82462cab47c73d25f49261"`);
    await queryRunner.query(`DROP INDEX "IDX_9c7b39f42b38591fbb8878c52f"`);
    await queryRunner.query(`ALTER TABLE "notifications" RENAME TO "temporary_notifications"`);
    await queryRunner.query(
      `CREATE TABLE "notifications" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(128) NOT NULL, "user_id" integer NOT NULL, "timestamp" double NOT NULL, "payload_json" text NOT NULL)`,
    );
    await queryRunner.query(
      `INSERT INTO "notifications"("id", "name", "user_id", "timestamp", "payload_json") SELECT "id", "name", "user_id", "timestamp", "payload_json" FROM "temporary_notifications"`,
    );
    await queryRunner.query(`DROP TABLE "temporary_notifications"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_5f0cceaef187f5c7884891c9e0" ON "notifications" ("timestamp") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_9a8a82462cab47c73d25f49261" ON "notifications" ("user_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_9c7b39f42b38591fbb8878c52f" ON "notifications" ("name") `,
    );
    await queryRunner.query(`DROP INDEX "IDX_5f0cceaef187f5c7884891c9e0"`);
    await queryRunner.query(`DROP INDEX "IDX_9a8a82462cab47c73d25f49261"`);
    await queryRunner.query(`DROP INDEX "IDX_9c7b39f42b38591fbb8878c52f"`);
    await queryRunner.query(`DROP TABLE "notifications"`);
  }
}
