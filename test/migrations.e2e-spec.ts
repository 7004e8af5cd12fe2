import { DataSource } from 'typeorm';
import { resolveDataSourceOptions } from '../src/database/data-source-options';
import { MYSQL_MIGRATIONS } from '../src/database/migrations/mysql';
import { SQLITE_MIGRATIONS } from '../src/database/migrations/sqlite';
import { unreadTotal } from '../src/conversations/read-marks';
import { DIALECT, scratchDatabase, ScratchDatabase } from './entrypoints/scratch-database';

const MIGRATIONS = DIALECT === 'mysql' ? MYSQL_MIGRATIONS : SQLITE_MIGRATIONS;
const NAMES = MIGRATIONS.map((m) => m.name);
/** The migration that moved the read marks from users to conversations (the newest such). */
const CONVERSATIONS =
  NAMES.length - 1 - [...NAMES].reverse().findIndex((n) => n.startsWith('Conversations'));

/** Users as the old schema had them: one read time for the whole inbox. */
const READ_TIMES: Record<string, string | null> = {
  alice: null,
  bob: '2026-01-01 10:05:00.000',
  carol: '2026-01-01 12:00:00.000',
  dave: '2026-01-01 09:00:00.000',
  erin: '2026-01-01 10:06:30.000',
  frank: '2026-01-01 11:00:00.000',
};

/**
 * Messages both ways between several pairs: before, at and after the read times, two stamped
 * the same moment, and frank in none.
 */
const MESSAGES: [string, string, string][] = [
  ['alice', 'bob', '2026-01-01 10:00:00.000'],
  ['bob', 'alice', '2026-01-01 10:01:00.000'],
  ['carol', 'bob', '2026-01-01 10:02:00.000'],
  ['dave', 'carol', '2026-01-01 10:03:00.000'],
  ['carol', 'dave', '2026-01-01 10:04:00.000'],
  ['erin', 'bob', '2026-01-01 10:05:00.000'],
  ['alice', 'bob', '2026-01-01 10:06:00.000'],
  ['bob', 'alice', '2026-01-01 10:07:00.000'],
  ['bob', 'carol', '2026-01-01 10:08:00.000'],
  ['carol', 'dave', '2026-01-01 10:09:00.000'],
  ['erin', 'alice', '2026-01-01 10:10:00.000'],
  ['alice', 'dave', '2026-01-01 10:11:00.000'],
  ['dave', 'alice', '2026-01-01 10:11:00.000'],
  ['bob', 'erin', '2026-01-01 10:12:00.000'],
  ['dave', 'erin', '2026-01-01 10:13:00.000'],
];

type Row = Record<string, unknown>;

/** A datetime as read back: a Date from MySQL, UTC text from SQLite. */
const iso = (value: unknown): string | null => {
  if (value === null) {
    return null;
  }
  return value instanceof Date
    ? value.toISOString()
    : new Date(`${(value as string).replace(' ', 'T')}Z`).toISOString();
};

/** Each side of every pair ("alice>bob"), and the index in MESSAGES of the pair's newest. */
function newestOfEachPair(): Map<string, number> {
  const newest = new Map<string, number>();
  MESSAGES.forEach(([from, to, at], i) => {
    for (const key of [`${from}>${to}`, `${to}>${from}`]) {
      const seen = newest.get(key);
      // Later in the list means a higher id: the newer of two stamped the same moment.
      if (seen === undefined || at >= MESSAGES[seen][2]) {
        newest.set(key, i);
      }
    }
  });
  return newest;
}

/**
 * The migration that replaced users.last_message_read_time by per-conversation read marks,
 * on a database with data, on this project's dialect: every user's unread count is the same
 * after the upgrade, counted the new way and by the app's own query, and the same again
 * after reverting it, with the schema as it was.
 */
describe(`Migration ${NAMES[CONVERSATIONS]} (${DIALECT})`, () => {
  let db: ScratchDatabase;
  const open: DataSource[] = [];

  beforeEach(async () => {
    db = await scratchDatabase();
  });

  afterEach(async () => {
    for (const dataSource of open.splice(0)) {
      if (dataSource.isInitialized) {
        await dataSource.destroy();
      }
    }
    await db.drop();
  });

  /** The database with the first `count` migrations run. */
  async function migrated(count: number): Promise<DataSource> {
    const dataSource = new DataSource({
      ...(await resolveDataSourceOptions({ url: db.url, poolSize: 2 })),
      migrations: MIGRATIONS.slice(0, count),
    });
    open.push(dataSource);
    await dataSource.initialize();
    await dataSource.runMigrations();
    return dataSource;
  }

  const rows = (dataSource: DataSource, sql: string, params: unknown[] = []) =>
    dataSource.query<Row[]>(sql, params);

  /** Username to id. */
  async function idsOf(dataSource: DataSource): Promise<Record<string, number>> {
    const users = await rows(dataSource, 'SELECT id, username FROM users');
    return Object.fromEntries(users.map((u) => [String(u.username), Number(u.id)]));
  }

  /** Every user's count, the old way: received after their read time, or all if never read. */
  async function oldCounts(dataSource: DataSource): Promise<Record<string, number>> {
    const counted = await rows(
      dataSource,
      `SELECT u.username AS username, COUNT(m.id) AS n FROM users u
       LEFT JOIN messages m ON m.recipient_id = u.id
         AND (u.last_message_read_time IS NULL OR m.timestamp > u.last_message_read_time)
       GROUP BY u.id, u.username`,
    );
    return Object.fromEntries(counted.map((r) => [String(r.username), Number(r.n)]));
  }

  /** Every user's count, the new way: over their conversations, after each read mark. */
  async function newCounts(dataSource: DataSource): Promise<Record<string, number>> {
    const counted = await rows(
      dataSource,
      `SELECT u.username AS username, COUNT(m.id) AS n FROM users u
       LEFT JOIN conversations c ON c.user_id = u.id
         AND NOT EXISTS (SELECT 1 FROM blocks b
                         WHERE b.blocker_id = c.user_id AND b.blocked_id = c.peer_id)
       LEFT JOIN messages m ON m.recipient_id = c.user_id AND m.sender_id = c.peer_id
         AND m.timestamp > c.last_read_at
       GROUP BY u.id, u.username`,
    );
    return Object.fromEntries(counted.map((r) => [String(r.username), Number(r.n)]));
  }

  /** Every user's count as the app reads it (the badge). */
  async function appCounts(dataSource: DataSource): Promise<Record<string, number>> {
    const ids = await idsOf(dataSource);
    const counts: Record<string, number> = {};
    for (const [username, id] of Object.entries(ids)) {
      counts[username] = await unreadTotal(dataSource.manager, id);
    }
    return counts;
  }

  /** Tables, columns, indexes and foreign keys, in an order that does not depend on history. */
  async function schemaOf(dataSource: DataSource): Promise<unknown> {
    if (DIALECT === 'sqlite') {
      const tables = await rows(
        dataSource,
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name`,
      );
      const schema: Row = {};
      for (const { name } of tables) {
        const table = String(name);
        const columns = await rows(dataSource, `PRAGMA table_xinfo("${table}")`);
        const indexes = await rows(dataSource, `PRAGMA index_list("${table}")`);
        const indexed: Row[] = [];
        for (const index of indexes) {
          const parts = await rows(dataSource, `PRAGMA index_info("${String(index.name)}")`);
          indexed.push({
            // SQLite numbers the indexes of UNIQUE constraints in the order a CREATE TABLE
            // lists them: the constraints, not their numbers, are the schema.
            name: String(index.origin) === 'c' ? index.name : `(${String(index.origin)})`,
            unique: index.unique,
            columns: parts.map((p) => p.name),
          });
        }
        const foreignKeys = await rows(dataSource, `PRAGMA foreign_key_list("${table}")`);
        schema[table] = {
          columns: columns
            .map((c) => ({
              name: c.name,
              type: c.type,
              notnull: c.notnull,
              default: c.dflt_value,
              pk: c.pk,
              hidden: c.hidden,
            }))
            .sort((x, y) => String(x.name).localeCompare(String(y.name))),
          indexes: indexed
            .map((index) => JSON.stringify(index))
            .sort()
            .map((index) => JSON.parse(index) as unknown),
          foreignKeys: foreignKeys
            .map(
              (f) =>
                `${String(f.from)} -> ${String(f.table)}.${String(f.to)} ${String(f.on_delete)}`,
            )
            .sort(),
        };
      }
      return schema;
    }
    return {
      columns: await rows(
        dataSource,
        `SELECT table_name AS t, column_name AS c, column_type AS type, is_nullable AS nullable,
           column_default AS dflt, extra, generation_expression AS generated
         FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY t, c`,
      ),
      indexes: await rows(
        dataSource,
        `SELECT table_name AS t, index_name AS i, non_unique AS nonUnique, seq_in_index AS seq,
           column_name AS c
         FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY t, i, seq`,
      ),
      foreignKeys: await rows(
        dataSource,
        `SELECT k.table_name AS t, k.constraint_name AS name, k.column_name AS c,
           k.referenced_table_name AS refTable, k.referenced_column_name AS refColumn,
           r.delete_rule AS onDelete
         FROM information_schema.key_column_usage k
         JOIN information_schema.referential_constraints r
           ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name
         WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL
         ORDER BY t, name`,
      ),
    };
  }

  /** The old schema with the users and messages above. */
  async function oldDatabase(): Promise<DataSource> {
    const old = await migrated(CONVERSATIONS);
    for (const [username, readTime] of Object.entries(READ_TIMES)) {
      await old.query(
        `INSERT INTO users (username, email, password_hash, created_at, last_seen, last_message_read_time)
         VALUES (?, ?, 'x', '2026-01-01 08:00:00.000', '2026-01-01 08:00:00.000', ?)`,
        [username, `${username}@example.com`, readTime],
      );
    }
    const ids = await idsOf(old);
    for (const [i, [from, to, at]] of MESSAGES.entries()) {
      await old.query(
        `INSERT INTO messages (sender_id, recipient_id, body, timestamp) VALUES (?, ?, ?, ?)`,
        [ids[from], ids[to], `message ${i}`, at],
      );
    }
    return old;
  }

  /**
   * Rows in the tables the microblog added (follows, posts, home timelines, notification
   * centers) and in its user columns, as the app would have written them, so reverting past
   * it is done with data there. Returns how many rows each table got.
   */
  async function addMicroblogRows(dataSource: DataSource): Promise<Record<string, number>> {
    const ids = await idsOf(dataSource);
    const at = '2026-01-02 09:00:00.000';
    for (const [follower, followed] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
      ['carol', 'bob'],
    ]) {
      await dataSource.query(
        'INSERT INTO follows (follower_id, followed_id, created_at) VALUES (?, ?, ?)',
        [ids[follower], ids[followed], at],
      );
    }
    const posts: Record<string, number> = {};
    for (const [author, body] of [
      ['alice', 'hello from alice'],
      ['bob', 'hi @alice'],
    ]) {
      await dataSource.query(
        'INSERT INTO posts (author_id, body, timestamp, fanout_after) VALUES (?, ?, ?, NULL)',
        [ids[author], body, at],
      );
      const [row] = await rows(dataSource, 'SELECT id FROM posts WHERE body = ?', [body]);
      posts[author] = Number(row.id);
    }
    // Each post in its author's timeline and in those of their followers.
    for (const [user, author] of [
      ['alice', 'alice'],
      ['bob', 'alice'],
      ['bob', 'bob'],
      ['alice', 'bob'],
      ['carol', 'bob'],
    ]) {
      await dataSource.query(
        'INSERT INTO timeline_entries (user_id, post_id, author_id, timestamp) VALUES (?, ?, ?, ?)',
        [ids[user], posts[author], ids[author], at],
      );
    }
    for (const [user, kind, key, actors, postId] of [
      ['bob', 'follow', 'follow:1', `[${ids.alice},${ids.carol}]`, null],
      ['alice', 'mention', `mention:${posts.bob}`, `[${ids.bob}]`, posts.bob],
    ] as const) {
      await dataSource.query(
        `INSERT INTO notification_groups (user_id, kind, group_key, count, actor_ids, post_id, latest_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [ids[user], kind, key, actors.split(',').length, actors, postId, at],
      );
    }
    await dataSource.query(
      `UPDATE users SET posts_count = 1, followers_count = 1, following_count = 1,
         unseen_notifications = 1, notify_messages = 1 WHERE id IN (?, ?)`,
      [ids.alice, ids.bob],
    );
    const counted: Record<string, number> = {};
    for (const table of ['follows', 'posts', 'timeline_entries', 'notification_groups']) {
      const [{ n }] = await rows(dataSource, `SELECT COUNT(*) AS n FROM ${table}`);
      counted[table] = Number(n);
    }
    return counted;
  }

  it('should run after the migrations it follows', () => {
    expect(CONVERSATIONS).toBeGreaterThan(0);
    expect(CONVERSATIONS).toBeLessThan(NAMES.length);
  });

  it("should keep every user's unread count, and give each side of every pair its newest message", async () => {
    const old = await oldDatabase();
    const before = await oldCounts(old);
    // The data covers every case: never read, read between, at and after messages.
    expect(before).toEqual({ alice: 4, bob: 1, carol: 0, dave: 3, erin: 2, frank: 0 });
    const ids = await idsOf(old);
    const names = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
    const messageIds = Object.fromEntries(
      (await rows(old, 'SELECT id, body FROM messages')).map((m) => [String(m.body), Number(m.id)]),
    );
    await old.destroy();

    const upgraded = await migrated(NAMES.length);
    expect(await newCounts(upgraded)).toEqual(before);
    expect(await appCounts(upgraded)).toEqual(before);

    // One row for each side of every pair that exchanged a message (frank: none), its newest
    // message either way (of two stamped the same moment, the later id), its read mark the
    // user's old read time.
    const conversations = await rows(
      upgraded,
      'SELECT user_id, peer_id, last_message_id, last_read_at FROM conversations',
    );
    const stored = Object.fromEntries(
      conversations.map((c) => [
        `${names[Number(c.user_id)]}>${names[Number(c.peer_id)]}`,
        { last: Number(c.last_message_id), readAt: iso(c.last_read_at) },
      ]),
    );
    const expected = Object.fromEntries(
      [...newestOfEachPair()].map(([key, i]) => [
        key,
        {
          last: messageIds[`message ${i}`],
          readAt: iso(READ_TIMES[key.split('>')[0]] ?? '1970-01-01 00:00:00.000'),
        },
      ]),
    );
    expect(stored).toEqual(expected);
    expect(stored['alice>dave'].last).toBe(messageIds['message 12']);
  });

  it('should revert to one read time per user, the counts and the schema as they were', async () => {
    const old = await oldDatabase();
    const schemaBefore = await schemaOf(old);
    const countsBefore = await oldCounts(old);
    const readTimesBefore = await rows(
      old,
      'SELECT username, last_message_read_time AS t FROM users ORDER BY username',
    );
    await old.destroy();

    const upgraded = await migrated(NAMES.length);
    // The migrations after it are reverted first, the microblog's with rows in its tables.
    expect(await addMicroblogRows(upgraded)).toEqual({
      follows: 3,
      posts: 2,
      timeline_entries: 5,
      notification_groups: 2,
    });
    for (let i = CONVERSATIONS; i < NAMES.length; i++) {
      await upgraded.undoLastMigration();
    }
    const applied = await rows(upgraded, 'SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(NAMES.slice(0, CONVERSATIONS));

    expect(await schemaOf(upgraded)).toEqual(schemaBefore);
    expect(await oldCounts(upgraded)).toEqual(countsBefore);
    const readTimesAfter = await rows(
      upgraded,
      'SELECT username, last_message_read_time AS t FROM users ORDER BY username',
    );
    // Everyone who had read gets their read time back; nobody who had never read gets one.
    // Frank exchanged no message: no conversation kept his, and with nothing received any
    // read time counts the same (the counts above).
    const shown = (list: Row[]) =>
      Object.fromEntries(
        list.filter((r) => r.username !== 'frank').map((r) => [String(r.username), iso(r.t)]),
      );
    expect(shown(readTimesAfter)).toEqual(shown(readTimesBefore));
  });

  it('should make nothing unread read when reverting after some conversations were read', async () => {
    const old = await oldDatabase();
    await old.destroy();
    const upgraded = await migrated(NAMES.length);
    const ids = await idsOf(upgraded);
    // Alice read her conversation with bob at 10:07:30 (her other ones she never opened).
    await upgraded.query(
      'UPDATE conversations SET last_read_at = ? WHERE user_id = ? AND peer_id = ?',
      ['2026-01-01 10:07:30.000', ids.alice, ids.bob],
    );
    await addMicroblogRows(upgraded);
    const unreadBefore = await newCounts(upgraded);
    expect(unreadBefore.alice).toBe(2);
    for (let i = CONVERSATIONS; i < NAMES.length; i++) {
      await upgraded.undoLastMigration();
    }
    const after = await oldCounts(upgraded);
    for (const [username, n] of Object.entries(unreadBefore)) {
      expect([username, after[username] >= n]).toEqual([username, true]);
    }
  });
});
