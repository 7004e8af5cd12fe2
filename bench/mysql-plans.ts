/**
 * `npx ts-node -T bench/mysql-plans.ts [--messages=1000000]`: the badge and conversation-list
 * statements on MariaDB/MySQL (TEST_MYSQL_URL) as the messages table grows: EXPLAIN rows and
 * mean times of the statements the app itself builds (src/conversations/read-marks.ts), on a
 * scratch database built by the real migrations and dropped afterwards. Writes
 * bench/results/mysql-plans.{json,md}. Figures only; nothing passes or fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { resolveDataSourceOptions } from '../src/database/data-source-options';
import { conversationListQuery, unreadTotalQuery } from '../src/conversations/read-marks';
import { createScratchDatabase } from '../test/utils/mysql';
import { now, option } from './lib';

const LARGEST = Number(option('messages') ?? 1e6);
const SIZES = [1e4, 1e5, 1e6].filter((size) => size < LARGEST).concat(LARGEST);
const USERS = 100;
const TARGET = 1;
const TARGET_PEERS = 50;
const TARGET_UNREAD = 500;
const TARGET_SHARE = 10;
const BATCH = 5000;
const SAMPLES = 50;

interface ExplainRow {
  table: string;
  type: string;
  key: string | null;
  rows: number | string;
  Extra: string | null;
}

interface Figures {
  plan: string;
  sqlUs: number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

async function measure(db: DataSource, [sql, parameters]: [string, unknown[]]): Promise<Figures> {
  const explain: ExplainRow[] = await db.query(`EXPLAIN ${sql}`, parameters);
  const plan = explain
    .map(
      (r) =>
        `${r.table}: ${r.type} on ${r.key ?? '-'} (~${r.rows} rows${r.Extra ? `, ${r.Extra}` : ''})`,
    )
    .join('; ');
  await db.query(sql, parameters);
  const started = now();
  for (let i = 0; i < SAMPLES; i++) {
    await db.query(sql, parameters);
  }
  return { plan, sqlUs: ((now() - started) / SAMPLES) * 1000 };
}

async function count(db: DataSource): Promise<number> {
  const [{ n }]: { n: number | string }[] = await db.query('SELECT COUNT(*) AS n FROM messages');
  return Number(n);
}

/** Messages as the app stores them, and both sides' conversation rows. */
async function seed(db: DataSource, from: number, to: number, readMark: string): Promise<void> {
  const base = Date.now() - 400 * 86_400_000;
  for (let start = from; start < to; start += BATCH) {
    const rows: unknown[] = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const sender = 2 + (i % (USERS - 1));
      const recipient = i % TARGET_SHARE === 0 ? TARGET : 2 + ((i * 7 + 3) % (USERS - 1));
      rows.push(
        sender,
        recipient === sender ? TARGET : recipient,
        `filler ${i}`,
        stamp(base + i * 10),
      );
    }
    await db.query(
      `INSERT INTO messages (sender_id, recipient_id, body, timestamp) VALUES ${'(?, ?, ?, ?),'.repeat(rows.length / 4).slice(0, -1)}`,
      rows,
    );
  }
  await db.query(
    `INSERT INTO conversations
       (user_id, peer_id, last_read_at, unread_count, last_message_id, last_activity_at)
     SELECT p.user_id, p.peer_id, IF(p.user_id = ?, ?, NOW(3)),
       SUM(p.incoming AND p.user_id = ? AND p.timestamp > ?), MAX(p.id), MAX(p.timestamp)
     FROM (SELECT sender_id AS peer_id, recipient_id AS user_id, id, timestamp, 1 AS incoming
           FROM messages
           UNION ALL SELECT recipient_id, sender_id, id, timestamp, 0 FROM messages) p
     GROUP BY p.user_id, p.peer_id
     ON DUPLICATE KEY UPDATE last_message_id = VALUES(last_message_id),
                             last_activity_at = VALUES(last_activity_at),
                             unread_count = VALUES(unread_count)`,
    [TARGET, readMark, TARGET, readMark],
  );
}

async function main(): Promise<void> {
  const scratch = await createScratchDatabase();
  const db = await new DataSource({
    ...(await resolveDataSourceOptions({ url: scratch.url, poolSize: 2 })),
    migrationsRun: true,
  }).initialize();
  const results: { messages: number; badge: Figures; conversationList: Figures }[] = [];
  try {
    const users = Array.from({ length: USERS }, (_, i) => [
      `user${i + 1}`,
      `user${i + 1}@example.com`,
      'x',
      stamp(Date.now()),
      stamp(Date.now()),
    ]);
    await db.query(
      `INSERT INTO users (username, email, password_hash, created_at, last_seen) VALUES ${'(?, ?, ?, ?, ?),'.repeat(USERS).slice(0, -1)}`,
      users.flat(),
    );
    const readMark = stamp(Date.now() - 2 * 86_400_000);
    const unread = Array.from({ length: TARGET_UNREAD }, (_, i) => [
      2 + (i % TARGET_PEERS),
      TARGET,
      `unread ${i}`,
      stamp(Date.now() - i * 1000),
    ]);
    await db.query(
      `INSERT INTO messages (sender_id, recipient_id, body, timestamp) VALUES ${'(?, ?, ?, ?),'.repeat(TARGET_UNREAD).slice(0, -1)}`,
      unread.flat(),
    );
    // Blocks between the other users, so the planner sees a table worth an index.
    const blocks = [];
    for (let blocker = 2; blocker <= USERS; blocker++) {
      for (let blocked = 2; blocked <= USERS; blocked++) {
        if (blocker !== blocked) {
          blocks.push(blocker, blocked, stamp(Date.now()));
        }
      }
    }
    await db.query(
      `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ${'(?, ?, ?),'.repeat(blocks.length / 3).slice(0, -1)}`,
      blocks,
    );
    let stored = TARGET_UNREAD;
    for (const size of SIZES) {
      await seed(db, stored, size, readMark);
      stored = size;
      await db.query('ANALYZE TABLE messages, conversations, blocks');
      const firstPage = { page: 1, perPage: 25, offset: 0 };
      results.push({
        messages: await count(db),
        badge: await measure(db, unreadTotalQuery(db.manager, TARGET).getQueryAndParameters()),
        conversationList: await measure(
          db,
          conversationListQuery(db.manager, TARGET, firstPage).getQueryAndParameters(),
        ),
      });
      console.log(JSON.stringify(results[results.length - 1]));
    }
    const [{ version }]: { version: string }[] = await db.query('SELECT VERSION() AS version');
    const markdown = [
      `# Badge and conversation list on ${version} (${new Date().toISOString()})`,
      '',
      `User ${TARGET}: ${TARGET_PEERS} conversations, ${TARGET_UNREAD} unread, a tenth of the table read history.`,
      '',
      '| messages | badge: SQL µs | conversation list (first 25): SQL µs |',
      '| ---: | ---: | ---: |',
      ...results.map(
        (r) =>
          `| ${r.messages} | ${r.badge.sqlUs.toFixed(0)} | ${r.conversationList.sqlUs.toFixed(0)} |`,
      ),
      '',
      'EXPLAIN at the largest size:',
      '',
      `- badge: ${results.at(-1)?.badge.plan}`,
      `- conversation list: ${results.at(-1)?.conversationList.plan}`,
    ];
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', 'mysql-plans.json'),
      JSON.stringify({ version, results }, null, 2),
    );
    writeFileSync(join(__dirname, 'results', 'mysql-plans.md'), markdown.join('\n') + '\n');
    console.log(markdown.join('\n'));
  } finally {
    await db.destroy();
    await scratch.drop();
  }
}

void main();
