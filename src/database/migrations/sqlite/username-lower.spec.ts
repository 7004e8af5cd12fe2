import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../data-source-options';
import { SQLITE_MIGRATIONS } from './index';

const BEFORE = SQLITE_MIGRATIONS.findIndex((m) => m.name.startsWith('UsernameLower'));

describe('SQLite migration UsernameLower', () => {
  let folder: string;
  let url: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'microblog-migration-'));
    url = `sqlite:${join(folder, 'db.sqlite')}`;
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  async function open(migrationCount: number): Promise<DataSource> {
    const dataSource = new DataSource({
      ...buildDataSourceOptions(url),
      migrations: SQLITE_MIGRATIONS.slice(0, migrationCount),
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    return dataSource;
  }

  const names = (dataSource: DataSource) =>
    dataSource.query<unknown[]>(`SELECT id, username FROM users ORDER BY id`);

  it('should rename later case variants, keep every row that points at a user, up and down', async () => {
    expect(BEFORE).toBeGreaterThan(0);
    const old = await open(BEFORE);
    for (const name of ['raceX', 'bob', 'RACEX', 'racex-3', 'Racex', 'gone']) {
      await old.query(
        `INSERT INTO users (username, email, password_hash, created_at, last_seen)
         VALUES (?, ?, 'x', '2026-01-01', '2026-01-01')`,
        [name, `${name}@example.com`],
      );
    }
    await old.query(`DELETE FROM users WHERE username = 'gone'`);
    await old.query(
      `INSERT INTO messages (sender_id, recipient_id, body, timestamp)
       VALUES (1, 3, 'hi', '2026-01-01'), (5, 2, 'yo', '2026-01-01')`,
    );
    await old.query(
      `INSERT INTO notifications (name, user_id, timestamp, payload_json) VALUES ('n', 3, 1, '1')`,
    );
    await old.query(
      `INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ('s', 5, '2026-01-01', '2027-01-01')`,
    );
    await old.destroy();

    const upgraded = await open(SQLITE_MIGRATIONS.length);
    expect(await names(upgraded)).toEqual([
      { id: 1, username: 'raceX' },
      { id: 2, username: 'bob' },
      // "RACEX-3" would be "racex-3" again, in another case.
      { id: 3, username: 'RACEX-3-2' },
      { id: 4, username: 'racex-3' },
      { id: 5, username: 'Racex-5' },
    ]);
    const kept = async (dataSource: DataSource): Promise<unknown[]> => [
      await dataSource.query<unknown>(`SELECT COUNT(*) AS n FROM messages`),
      await dataSource.query<unknown>(`SELECT COUNT(*) AS n FROM notifications`),
      await dataSource.query<unknown>(`SELECT COUNT(*) AS n FROM sessions`),
      await dataSource.query<unknown>(`PRAGMA foreign_key_check`),
    ];
    expect(await kept(upgraded)).toEqual([[{ n: 2 }], [{ n: 1 }], [{ n: 1 }], []]);
    await expect(
      upgraded.query(
        `INSERT INTO users (username, email, password_hash, created_at, last_seen)
         VALUES ('BOB', 'b2@example.com', 'x', '2026-01-01', '2026-01-01')`,
      ),
    ).rejects.toThrow(/UNIQUE constraint failed: users\.username_lower/);
    // The id of the deleted user at the top is not handed out again.
    await upgraded.query(
      `INSERT INTO users (username, email, password_hash, created_at, last_seen)
       VALUES ('new', 'new@example.com', 'x', '2026-01-01', '2026-01-01')`,
    );
    expect(await upgraded.query(`SELECT id FROM users WHERE username = 'new'`)).toEqual([
      { id: 7 },
    ]);

    await upgraded.undoLastMigration();
    expect(await kept(upgraded)).toEqual([[{ n: 2 }], [{ n: 1 }], [{ n: 1 }], []]);
    const schema = await upgraded.query<{ sql: string }[]>(
      `SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN ('messages', 'notifications', 'sessions')`,
    );
    expect(schema.map((t) => t.sql).join()).not.toContain('temporary_users');
    expect(await upgraded.query(`PRAGMA foreign_keys`)).toEqual([{ foreign_keys: 1 }]);
    await upgraded.destroy();
  });
});
