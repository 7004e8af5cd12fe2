/**
 * Scenario 6 (SQLite): the badge, the conversation list and /notifications as the messages
 * table grows, with the plans and timings of the app's own statements (built by the same
 * functions the app calls); and the cost of replaying a user's backlog on a fresh stream.
 */
import Database from 'better-sqlite3';
import http from 'node:http';
import { DataSource } from 'typeorm';
import { ENTITIES } from '../src/database/entities';
import { conversationListQuery, unreadTotalQuery } from '../src/conversations/read-marks';
import { fmtLatencies, latencies, Latencies, now, Server } from './lib';

const TARGET_UNREAD = 500;
/** The target's correspondents: a conversation list longer than one page. */
const TARGET_PEERS = 50;
/** One filler message in this many is history of the target's (read). */
const TARGET_SHARE = 10;
const SAMPLES = 100;

export interface StatementFigures {
  plan: string;
  sqlUs: number;
}

export interface GrowthRow {
  messages: number;
  badge: StatementFigures;
  conversationList: StatementFigures;
  pageWithBadgeMs: Latencies;
  conversationsPageMs: Latencies;
  notificationsJsonMs: Latencies;
}

export interface ReplayRow {
  backlog: number;
  replayMs: number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

async function timeGets(url: string, headers: Record<string, string>): Promise<Latencies> {
  // After a long seeding pause the pooled connection may just have been closed by the server
  // (keep-alive timeout): one untimed request, retried once, warms up a fresh one.
  await fetch(url, { headers })
    .catch(() => fetch(url, { headers }))
    .then((res) => res.arrayBuffer());
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) {
      throw new Error(`${url}: ${res.status}`);
    }
    times.push(now() - started);
  }
  return latencies(times);
}

/** EXPLAIN QUERY PLAN and the mean time of one of the app's statements. */
function measure(db: Database.Database, [sql, parameters]: [string, unknown[]]): StatementFigures {
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[])
    .map((r) => r.detail)
    .join('; ');
  const statement = db.prepare(sql);
  const started = now();
  for (let i = 0; i < SAMPLES; i++) {
    statement.all(...parameters);
  }
  return { plan, sqlUs: ((now() - started) / SAMPLES) * 1000 };
}

/**
 * Seeds as the app would store it: messages, and both sides' conversation rows (newest
 * message, read mark). The pairs are few, so the rows are upserted once per size.
 */
class Seeder {
  private readonly insert;
  private readonly upsert;
  private readonly newest = new Map<string, { id: number; at: string }>();

  constructor(
    private readonly db: Database.Database,
    private readonly readMarks: (userId: number, peerId: number) => string,
  ) {
    this.insert = db.prepare(
      'INSERT INTO messages (sender_id, recipient_id, body, timestamp) VALUES (?, ?, ?, ?)',
    );
    this.upsert = db.prepare(
      `INSERT INTO conversations
         (user_id, peer_id, last_read_at, unread_count, last_message_id, last_activity_at)
       VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (user_id, peer_id)
       DO UPDATE SET last_message_id = excluded.last_message_id,
                     last_activity_at = excluded.last_activity_at`,
    );
  }

  message(sender: number, recipient: number, body: string, at: string): void {
    const id = Number(this.insert.run(sender, recipient, body, at).lastInsertRowid);
    const key = sender < recipient ? `${sender}:${recipient}` : `${recipient}:${sender}`;
    const known = this.newest.get(key);
    if (!known || known.at <= at) {
      this.newest.set(key, { id, at });
    }
  }

  conversations(): void {
    for (const [key, { id, at }] of this.newest) {
      const [a, b] = key.split(':').map(Number);
      this.upsert.run(a, b, this.readMarks(a, b), id, at);
      this.upsert.run(b, a, this.readMarks(b, a), id, at);
    }
  }
}

/**
 * `target` has TARGET_PEERS conversations holding TARGET_UNREAD unread messages and a read
 * history of a tenth of the table; the rest is filler between `others`, so a statement that
 * left its index would slow down with the table.
 */
export async function growth(
  server: Server,
  databaseFile: string,
  sizes: number[],
  target: number,
  others: number[],
): Promise<GrowthRow[]> {
  const db = new Database(databaseFile, { timeout: 30_000 });
  const dataSource = await new DataSource({
    type: 'better-sqlite3',
    database: databaseFile,
    entities: ENTITIES,
  }).initialize();
  const readMark = stamp(Date.now() - 2 * 86_400_000);
  const seeder = new Seeder(db, (userId) => (userId === target ? readMark : stamp(Date.now())));
  const peers = others.slice(0, TARGET_PEERS);
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
  db.transaction(() => {
    for (let i = 0; i < TARGET_UNREAD; i++) {
      seeder.message(peers[i % peers.length], target, `unread ${i}`, stamp(Date.now() - i * 1000));
    }
    seeder.conversations();
  })();
  // The target's unread messages, counted as the app counts them in as they arrive.
  db.prepare(
    `UPDATE conversations SET unread_count = (SELECT COUNT(*) FROM messages m
       WHERE m.recipient_id = conversations.user_id AND m.sender_id = conversations.peer_id
         AND m.timestamp > conversations.last_read_at)
     WHERE user_id = ?`,
  ).run(target);
  // Blocks between the other users, so the planner sees a table worth an index.
  const block = db.prepare(
    'INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)',
  );
  db.transaction(() => {
    for (const blocker of others) {
      for (const blocked of others) {
        if (blocker !== blocked) {
          block.run(blocker, blocked, stamp(Date.now()));
        }
      }
    }
  })();
  const rows: GrowthRow[] = [];
  const cookie = server.cookieFor(target);
  try {
    for (const size of sizes) {
      const missing = size - count();
      const base = Date.now() - 400 * 86_400_000;
      db.transaction(() => {
        for (let i = 0; i < missing; i++) {
          const sender = others[i % others.length];
          const recipient = i % TARGET_SHARE === 0 ? target : others[(i * 7 + 3) % others.length];
          seeder.message(sender, recipient, `filler ${i}`, stamp(base + i * 10));
        }
        seeder.conversations();
      })();
      db.exec('ANALYZE');
      const firstPage = { page: 1, perPage: 25, offset: 0 };
      rows.push({
        messages: count(),
        badge: measure(db, unreadTotalQuery(dataSource.manager, target).getQueryAndParameters()),
        conversationList: measure(
          db,
          conversationListQuery(dataSource.manager, target, firstPage).getQueryAndParameters(),
        ),
        pageWithBadgeMs: await timeGets(`${server.baseUrl}/user/user${target}`, {
          Cookie: cookie,
        }),
        conversationsPageMs: await timeGets(`${server.baseUrl}/conversations`, { Cookie: cookie }),
        notificationsJsonMs: await timeGets(`${server.baseUrl}/notifications?since=0`, {
          Cookie: cookie,
          Accept: 'application/json',
        }),
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  } finally {
    await dataSource.destroy();
    db.close();
  }
  return rows;
}

/** Time from opening a stream with Last-Event-ID 0 until its last backlog event arrived. */
function replay(server: Server, userId: number, expected: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    let seen = 0;
    const req = http.get(
      `${server.baseUrl}${server.streamPath}`,
      { headers: { Cookie: server.cookieFor(userId), 'Last-Event-ID': '0' }, agent: false },
      (res) => {
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          seen += lines.filter((line) => line.startsWith('data: ')).length;
          if (seen >= expected) {
            resolve(now() - started);
            req.destroy();
          }
        });
      },
    );
    req.on('error', (error) => (seen >= expected ? undefined : reject(error)));
    req.setTimeout(60_000, () => req.destroy(new Error('replay timed out')));
  });
}

/** Replay cost as one user's backlog grows (distinct notification names, so none replaced). */
export async function replayGrowth(
  server: Server,
  databaseFile: string,
  userId: number,
  sizes: number[],
): Promise<ReplayRow[]> {
  const db = new Database(databaseFile, { timeout: 30_000 });
  const insert = db.prepare(
    'INSERT INTO notifications (name, user_id, timestamp, payload_json) VALUES (?, ?, ?, ?)',
  );
  const rows: ReplayRow[] = [];
  try {
    db.prepare('DELETE FROM notifications WHERE user_id = ?').run(userId);
    let stored = 0;
    for (const size of sizes) {
      db.transaction(() => {
        for (; stored < size; stored++) {
          insert.run(`bench_${stored}`, userId, Date.now() / 1000, JSON.stringify({ n: stored }));
        }
      })();
      const runs = [];
      for (let i = 0; i < 3; i++) {
        runs.push(await replay(server, userId, size));
      }
      rows.push({ backlog: size, replayMs: runs.sort((a, b) => a - b)[1] });
    }
  } finally {
    db.close();
  }
  return rows;
}

export function growthTable(rows: GrowthRow[], replays: ReplayRow[]): string {
  return [
    '| messages | badge: SQL µs | conversation list (25 of 50): SQL µs | page with badge p50/p95/p99/max ms | /conversations p50/p95/p99/max ms | /notifications p50/p95/p99/max ms |',
    '| ---: | ---: | ---: | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.messages} | ${r.badge.sqlUs.toFixed(1)} | ${r.conversationList.sqlUs.toFixed(1)} | ${fmtLatencies(r.pageWithBadgeMs)} | ${fmtLatencies(r.conversationsPageMs)} | ${fmtLatencies(r.notificationsJsonMs)} |`,
    ),
    '',
    'Query plans at the largest size (SQLite EXPLAIN QUERY PLAN):',
    '',
    `- badge (unread over all conversations): ${rows.at(-1)?.badge.plan ?? '-'}`,
    `- conversation list: ${rows.at(-1)?.conversationList.plan ?? '-'}`,
    '',
    '| stream backlog (events) | replay on connect, median of 3, ms |',
    '| ---: | ---: |',
    ...replays.map((r) => `| ${r.backlog} | ${r.replayMs.toFixed(1)} |`),
  ].join('\n');
}
