import { QueryRunner } from 'typeorm';

/**
 * Runs a generated SQLite migration step that rebuilds `table` (copy to a new table, drop,
 * rename) without letting its AUTOINCREMENT counter go back: the copy only carries MAX(id), so
 * ids of rows deleted at the top would be handed out again. Notification ids are stream event
 * ids that clients resume after, so they must only ever grow.
 */
export async function keepingSqliteSequence(
  queryRunner: QueryRunner,
  table: string,
  rebuild: () => Promise<void>,
): Promise<void> {
  const rows = (await queryRunner.query(`SELECT seq FROM sqlite_sequence WHERE name = ?`, [
    table,
  ])) as { seq: number }[];
  await rebuild();
  const before = rows[0]?.seq ?? 0;
  await queryRunner.query(`UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?`, [
    before,
    table,
  ]);
  await queryRunner.query(
    `INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE ? > 0 AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)`,
    [table, before, before, table],
  );
}
