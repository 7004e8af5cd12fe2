import { Logger } from '@nestjs/common';
import { QueryRunner } from 'typeorm';

const USERNAME_MAX = 64;

/**
 * Before usernames become unique regardless of case: of each set of names that differ only
 * in case ("raceX", "RACEX"), the oldest account (lowest id) keeps its name and every later
 * one is renamed to `<name>-<id>`, so the unique index can be built and nobody's account is
 * lost. The later accounts are the look-alikes (SQLite let them in; MariaDB's _ci collation
 * never did). Their owners log in with the new name, shown in the log.
 * The SQL is the same on SQLite and MySQL; comparisons use the database's own LOWER and
 * collation, as the unique index will.
 */
export async function renameCaseVariantUsernames(queryRunner: QueryRunner): Promise<void> {
  const logger = new Logger('migration');
  const keys = (await queryRunner.query(
    `SELECT LOWER(username) AS k FROM users GROUP BY LOWER(username) HAVING COUNT(*) > 1`,
  )) as { k: string }[];
  for (const { k } of keys) {
    const rows = (await queryRunner.query(
      `SELECT id, username FROM users WHERE LOWER(username) = ? ORDER BY id`,
      [k],
    )) as { id: number; username: string }[];
    for (const { id, username } of rows.slice(1)) {
      const renamed = await freeName(queryRunner, username, id);
      await queryRunner.query(`UPDATE users SET username = ? WHERE id = ?`, [renamed, id]);
      logger.warn(
        `User ${id} renamed from "${username}" to "${renamed}": user ${rows[0].id} has the name "${rows[0].username}", and names now differ by more than case.`,
      );
    }
  }
}

async function freeName(queryRunner: QueryRunner, username: string, id: number): Promise<string> {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? `-${id}` : `-${id}-${n}`;
    const candidate = `${[...username].slice(0, USERNAME_MAX - suffix.length).join('')}${suffix}`;
    const taken = (await queryRunner.query(
      `SELECT id FROM users WHERE LOWER(username) = LOWER(?)`,
      [candidate],
    )) as unknown[];
    if (taken.length === 0) {
      return candidate;
    }
  }
}
