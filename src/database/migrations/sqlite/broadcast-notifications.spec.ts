import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../data-source-options';
import { SQLITE_MIGRATIONS } from './index';

const BEFORE_BROADCAST = SQLITE_MIGRATIONS.findIndex((m) => m.name.startsWith('Broadcast'));

describe('SQLite migration BroadcastNotifications', () => {
  let folder: string;
  let url: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'microblog-migration-'));
    url = `sqlite:${join(folder, 'db.sqlite')}`;
  });

  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  async function open(migrationCount: number): Promise<DataSource> {
    const options = buildDataSourceOptions(url);
    const dataSource = new DataSource({
      ...options,
      migrations: SQLITE_MIGRATIONS.slice(0, migrationCount),
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    return dataSource;
  }

  async function insertNotification(dataSource: DataSource, userId: number | null, name: string) {
    await dataSource.query(
      `INSERT INTO notifications (name, user_id, timestamp, payload_json) VALUES (?, ?, ?, ?)`,
      [name, userId, 1_790_000_000.5, JSON.stringify({ name })],
    );
  }

  it('should keep the rows and never hand out an id again, up and down', async () => {
    expect(BEFORE_BROADCAST).toBeGreaterThan(0);
    const old = await open(BEFORE_BROADCAST);
    await old.query(
      `INSERT INTO users (username, email, password_hash, created_at, last_seen)
       VALUES ('ann', 'ann@example.com', 'x', '2026-01-01', '2026-01-01')`,
    );
    for (const name of ['a', 'b', 'c']) {
      await insertNotification(old, 1, name);
    }
    // The newest row is gone (replaced, or its user deleted): its id must stay used.
    await old.query(`DELETE FROM notifications WHERE id = 3`);
    await old.destroy();

    const upgraded = await open(SQLITE_MIGRATIONS.length);
    expect(await upgraded.query(`SELECT id, name, user_id FROM notifications ORDER BY id`)).toEqual(
      [
        { id: 1, name: 'a', user_id: 1 },
        { id: 2, name: 'b', user_id: 1 },
      ],
    );
    await insertNotification(upgraded, null, 'announcement');
    const [{ id: broadcastId }] = await upgraded.query(`SELECT MAX(id) AS id FROM notifications`);
    expect(broadcastId).toBe(4);

    await upgraded.query(`DELETE FROM notifications WHERE id = 4`);
    // Back to before BroadcastNotifications: the later migrations are reverted first.
    for (let n = SQLITE_MIGRATIONS.length; n > BEFORE_BROADCAST; n--) {
      await upgraded.undoLastMigration();
    }
    expect(await upgraded.query(`SELECT COUNT(*) AS n FROM migrations`)).toEqual([
      { n: BEFORE_BROADCAST },
    ]);
    await insertNotification(upgraded, 1, 'd');
    const [{ id: afterRevert }] = await upgraded.query(`SELECT MAX(id) AS id FROM notifications`);
    expect(afterRevert).toBe(5);
    await upgraded.destroy();
  });
});
