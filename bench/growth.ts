/**
 * Scenario 6 (SQLite): unread count and /notifications as the messages table grows, with the
 * query plan of the count; and the cost of replaying a user's backlog on a fresh stream.
 */
import Database from 'better-sqlite3';
import http from 'node:http';
import { fmtLatencies, latencies, Latencies, now, Server } from './lib';

/** The statement MessagesService.countUnread sends, as TypeORM renders it for SQLite. */
const UNREAD_COUNT_SQL =
  'SELECT COUNT(1) AS "cnt" FROM "messages" "m" WHERE "m"."recipient_id" = ? AND "m"."timestamp" > ?';
const TARGET_UNREAD = 500;
const SAMPLES = 100;

export interface GrowthRow {
  messages: number;
  unreadCountPlan: string;
  unreadCountSqlUs: number;
  pageWithBadgeMs: Latencies;
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

/**
 * `target` gets TARGET_UNREAD unread messages; the rest of the table is filler between
 * `others`, so a query that left its index would slow down with the table.
 */
export async function growth(
  server: Server,
  databaseFile: string,
  sizes: number[],
  target: number,
  others: number[],
): Promise<GrowthRow[]> {
  const db = new Database(databaseFile, { timeout: 30_000 });
  const insert = db.prepare(
    'INSERT INTO messages (sender_id, recipient_id, body, timestamp) VALUES (?, ?, ?, ?)',
  );
  const count = () => (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
  db.prepare('UPDATE users SET last_message_read_time = NULL WHERE id = ?').run(target);
  db.transaction(() => {
    for (let i = 0; i < TARGET_UNREAD; i++) {
      insert.run(others[i % others.length], target, `unread ${i}`, stamp(Date.now() - i * 1000));
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
          const recipient = others[(i * 7 + 3) % others.length];
          insert.run(sender, recipient, `filler ${i}`, stamp(base + i * 10));
        }
      })();
      const since = stamp(0);
      const plan = (
        db.prepare(`EXPLAIN QUERY PLAN ${UNREAD_COUNT_SQL}`).all(target, since) as {
          detail: string;
        }[]
      )
        .map((r) => r.detail)
        .join('; ');
      const statement = db.prepare(UNREAD_COUNT_SQL);
      const started = now();
      for (let i = 0; i < SAMPLES; i++) {
        statement.get(target, since);
      }
      rows.push({
        messages: count(),
        unreadCountPlan: plan,
        unreadCountSqlUs: ((now() - started) / SAMPLES) * 1000,
        pageWithBadgeMs: await timeGets(`${server.baseUrl}/user/user${target}`, {
          Cookie: cookie,
        }),
        notificationsJsonMs: await timeGets(`${server.baseUrl}/notifications?since=0`, {
          Cookie: cookie,
          Accept: 'application/json',
        }),
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  } finally {
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
    `| messages | unread count: SQL µs | plan | page with badge p50/p95/p99/max ms | /notifications p50/p95/p99/max ms |`,
    '| ---: | ---: | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.messages} | ${r.unreadCountSqlUs.toFixed(1)} | ${r.unreadCountPlan} | ${fmtLatencies(r.pageWithBadgeMs)} | ${fmtLatencies(r.notificationsJsonMs)} |`,
    ),
    '',
    '| stream backlog (events) | replay on connect, median of 3, ms |',
    '| ---: | ---: |',
    ...replays.map((r) => `| ${r.backlog} | ${r.replayMs.toFixed(1)} |`),
  ].join('\n');
}
