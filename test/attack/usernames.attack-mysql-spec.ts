import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { MYSQL_MIGRATIONS } from '../../src/database/migrations/mysql';
import { TEST_MYSQL_URL } from '../utils/mysql';
import { usernameAttacks } from './usernames.cases';

/** Finding 8 on MariaDB: the same attacks, and the migration on a database that allowed variants. */
describe('Attack: usernames (MariaDB)', () => {
  usernameAttacks();

  describe('the migration, on a database whose collation tells case apart', () => {
    const name = `app_test_bin_${randomBytes(5).toString('hex')}`;
    const url = `${TEST_MYSQL_URL.replace(/\/$/, '')}/${name}`;
    const server = async (sql: string) => {
      const connection = await createConnection(TEST_MYSQL_URL);
      try {
        await connection.query(sql);
      } finally {
        await connection.end();
      }
    };

    beforeAll(() =>
      server(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`),
    );

    afterAll(() => server(`DROP DATABASE IF EXISTS \`${name}\``));

    async function open(migrationCount: number): Promise<DataSource> {
      const dataSource = new DataSource({
        ...buildDataSourceOptions(url, { serverFlavour: 'mariadb' }),
        migrations: MYSQL_MIGRATIONS.slice(0, migrationCount),
      });
      await dataSource.initialize();
      await dataSource.runMigrations();
      return dataSource;
    }

    it('should rename later case variants and build the unique index, with nothing left to generate', async () => {
      const before = MYSQL_MIGRATIONS.findIndex((m) => m.name.startsWith('UsernameLower'));
      expect(before).toBeGreaterThan(0);
      const old = await open(before);
      for (const username of ['raceX', 'bob', 'RACEX', 'racex-3']) {
        await old.query(
          `INSERT INTO users (username, email, password_hash, created_at, last_seen)
           VALUES (?, ?, 'x', NOW(3), NOW(3))`,
          [username, `${username}@example.com`],
        );
      }
      await old.query(
        `INSERT INTO messages (sender_id, recipient_id, body, timestamp) VALUES (3, 1, 'hi', NOW(3))`,
      );
      await old.destroy();

      const upgraded = await open(MYSQL_MIGRATIONS.length);
      try {
        expect(await upgraded.query(`SELECT id, username FROM users ORDER BY id`)).toEqual([
          { id: 1, username: 'raceX' },
          { id: 2, username: 'bob' },
          { id: 3, username: 'RACEX-3-2' },
          { id: 4, username: 'racex-3' },
        ]);
        const [{ n: messages }] = await upgraded.query<{ n: number | string }[]>(
          `SELECT COUNT(*) AS n FROM messages WHERE sender_id = 3`,
        );
        expect(Number(messages)).toBe(1);
        await expect(
          upgraded.query(
            `INSERT INTO users (username, email, password_hash, created_at, last_seen)
             VALUES ('BOB', 'b2@example.com', 'x', NOW(3), NOW(3))`,
          ),
        ).rejects.toThrow(/Duplicate entry/);
        const pending = await upgraded.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      } finally {
        await upgraded.destroy();
      }
    });
  });
});
