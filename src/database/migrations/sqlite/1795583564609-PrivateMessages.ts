import { MigrationInterface, QueryRunner } from 'typeorm';

export class PrivateMessages1795583564609 implements MigrationInterface {
  name = 'PrivateMessages1795583564609';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "sender_id" integer NOT NULL, "recipient_id" integer NOT NULL, "body" varchar(1000) NOT NULL, "timestamp" datetime(3) NOT NULL)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_22133395bd13b970ccd0c34ab2" ON "messages" ("sender_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_f2113da562ea5bb1ddff44ff60" ON "messages" ("timestamp") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_recipient_timestamp" ON "messages" ("recipient_id", "timestamp") `,
    );
    await queryRunner.query(`DROP INDEX "IDX_22133395bd13b970ccd0c34ab2"`);
    await queryRunner.query(`DROP INDEX "IDX_f2113da562ea5bb1ddff44ff60"`);
    await queryRunner.query(`DROP INDEX "IDX_messages_recipient_timestamp"`);
    await queryRunner.query(
      `CREATE TABLE "temporary_messages" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "sender_id" integer NOT NULL, "recipient_id" integer NOT NULL, "body" varchar(1000) NOT NULL, "timestamp" datetime(3) NOT NULL, CONSTRAINT "FK_22133395bd13b970ccd0c34ab22" FOREIGN KEY ("sender_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "FK_566c3d68184e83d4307b86f85ab" FOREIGN KEY ("recipient_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_messages"("id", "sender_id", "recipient_id", "body", "timestamp") SELECT "id", "sender_id", "recipient_id", "body", "timestamp" FROM "messages"`,
    );
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`ALTER TABLE "temporary_messages" RENAME TO "messages"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_22133395bd13b970ccd0c34ab2" ON "messages" ("sender_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_f2113da562ea5bb1ddff44ff60" ON "messages" ("timestamp") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_recipient_timestamp" ON "messages" ("recipient_id", "timestamp") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_messages_recipient_timestamp"`);
    await queryRunner.query(`DROP INDEX "IDX_f2113da562ea5bb1ddff44ff60"`);
    await queryRunner.query(`DROP INDEX "IDX_22133395bd13b970ccd0c34ab2"`);
    await queryRunner.query(`ALTER TABLE "messages" RENAME TO "temporary_messages"`);
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "sender_id" integer NOT NULL, "recipient_id" integer NOT NULL, "body" varchar(1000) NOT NULL, "timestamp" datetime(3) NOT NULL)`,
    );
    await queryRunner.query(
      `INSERT INTO "messages"("id", "sender_id", "recipient_id", "body", "timestamp") SELECT "id", "sender_id", "recipient_id", "body", "timestamp" FROM "temporary_messages"`,
    );
    await queryRunner.query(`DROP TABLE "temporary_messages"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_messages_recipient_timestamp" ON "messages" ("recipient_id", "timestamp") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_f2113da562ea5bb1ddff44ff60" ON "messages" ("timestamp") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_22133395bd13b970ccd0c34ab2" ON "messages" ("sender_id") `,
    );
    await queryRunner.query(`DROP INDEX "IDX_messages_recipient_timestamp"`);
    await queryRunner.query(`DROP INDEX "IDX_f2113da562ea5bb1ddff44ff60"`);
    await queryRunner.query(`DROP INDEX "IDX_22133395bd13b970ccd0c34ab2"`);
    await queryRunner.query(`DROP TABLE "messages"`);
  }
}
