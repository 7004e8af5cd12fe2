import { QueryRunner } from 'typeorm';

/**
 * Runs a generated SQLite table rebuild (copy, drop, rename) of a table that other tables
 * reference, as SQLite's ALTER TABLE procedure requires: with foreign key enforcement off,
 * or dropping the old table deletes the rows pointing at it (ON DELETE CASCADE); and with
 * legacy_alter_table on, or renaming the old table away repoints the other tables' foreign
 * keys at it, and they dangle once it is dropped. The rebuild fails rather than commit a
 * reference it broke.
 * The foreign_keys pragma is ignored inside a transaction, and TypeORM reverts a migration
 * inside one with the keys still on (undoLastMigration starts the transaction before it turns
 * them off): then the rebuild gets a transaction of its own between the pragmas.
 */
export async function withoutSqliteForeignKeys(
  queryRunner: QueryRunner,
  rebuild: () => Promise<void>,
): Promise<void> {
  const [{ foreign_keys: enforced }] = (await queryRunner.query(`PRAGMA foreign_keys`)) as {
    foreign_keys: number;
  }[];
  if (!enforced) {
    return checked(queryRunner, rebuild);
  }
  const inTransaction = queryRunner.isTransactionActive;
  if (inTransaction) {
    await queryRunner.commitTransaction();
  }
  await queryRunner.query(`PRAGMA foreign_keys = OFF`);
  try {
    await queryRunner.startTransaction();
    try {
      await checked(queryRunner, rebuild);
      await queryRunner.commitTransaction();
    } catch (error) {
      await queryRunner.rollbackTransaction();
      throw error;
    }
  } finally {
    await queryRunner.query(`PRAGMA foreign_keys = ON`);
    if (inTransaction) {
      await queryRunner.startTransaction();
    }
  }
}

async function checked(queryRunner: QueryRunner, rebuild: () => Promise<void>): Promise<void> {
  const brokenBefore = new Set(await brokenReferences(queryRunner));
  await queryRunner.query(`PRAGMA legacy_alter_table = ON`);
  try {
    await rebuild();
  } finally {
    await queryRunner.query(`PRAGMA legacy_alter_table = OFF`);
  }
  const broken = (await brokenReferences(queryRunner)).filter((row) => !brokenBefore.has(row));
  if (broken.length > 0) {
    throw new Error(`The rebuild left rows without their parent: ${broken.join(', ')}`);
  }
}

async function brokenReferences(queryRunner: QueryRunner): Promise<string[]> {
  const rows = (await queryRunner.query(`PRAGMA foreign_key_check`)) as unknown[];
  return rows.map((row) => JSON.stringify(row));
}
