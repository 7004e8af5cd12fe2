/**
 * A post's delivery to its author's followers beside an admin announcement to everyone, with
 * the same N streams open:
 *
 *   npx ts-node -T bench/fanout.ts [--followers=10000] [--repeat=5] [--databases=sqlite,mariadb]
 *     [--no-redis] [--timeout=600] [--quiet-wait=30] [--out=fanout]
 *   (or npm run bench:fanout -- ...; build first: npx nest build)
 *
 * Setups: one app process (dist/main.js) per database in --databases (SQLite in a temp file,
 * MariaDB in a scratch database this script creates and drops), then, when MariaDB is among
 * them and --no-redis is absent, two app processes on one scratch MariaDB database with a
 * redis-server of this run's own (the machine's 6379 is shared: its notification channel
 * would carry other runs' events), the followers' streams split between the two processes
 * (alternately, by follower id) and the author posting to the first.
 *
 * Each setup seeds one author with N followers straight into the database (rows in `follows`,
 * and `users.followers_count` = N, which the app reads to decide a post needs delivery), opens
 * one stream (GET /notifications/stream) per follower from load processes (this file, forked
 * with --load-client), checks that a warm-up announcement reaches every stream, then for each
 * repeat: (a) the author posts the home page's form (POST /posts, CSRF token and cookies as a
 * browser has them) and waits until every follower stream has that post's `new_post`; (b) an
 * announcement to all (POST /api/admin/notifications, admin bearer token) and waits until
 * every stream has it. A final announcement closes the setup: once it reached every stream,
 * the streams' counts of every event of the run are taken again (late duplicates show there).
 *
 * Times are wall-clock ms (Date.now() in every process, one machine). Per post, the batches
 * of delivery (500 followers in id order, src/posts/post-fanout.service.ts) are timed from
 * outside: the database's `events.timestamp` of a batch's rows (taken inside its transaction,
 * after its followers were locked and their timeline rows written) and the first and last
 * arrival of the batch's event at the streams. While each event is on its way, /health (no
 * database work) is requested back to back: its slowest answer is how long the app's event
 * loop stalled. After a setup's runs, with its streams closed, one batch's statements are
 * replayed from a connection of this script's own and timed one by one (raw SQL, committed,
 * for a post of the replay's own), to set the app's cycle per batch against its statements.
 *
 * Before each repeat the script waits up to --quiet-wait seconds for the machine to be idle
 * (others' tests share its two cores), and every run records the cores others used meanwhile.
 * Writes bench/results/fanout.{json,md} (--out=<name> to change) and prints the tables;
 * --report-only rewrites the .md from the .json.
 */
import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { RedisProcess } from '../test/scaleout/app-process';
import { createScratchDatabase } from '../test/utils/mysql';
import {
  appCookieFor,
  freshLoopbackAddress,
  latencies,
  Latencies,
  LoadProcess,
  machineLine,
  option,
  PER_LOAD_PROCESS,
  percentile,
  procStat,
  ROOT,
  seedUsersMysql,
  seedUsersSqlite,
  Server,
  serverPort,
  sleep,
  slices,
  startApp,
} from './lib';

// ---------------------------------------------------------------------------------------------
// The load process: streams, and when each event reached each of them

/** [user id, arrival ms] */
type Arrival = [number, number];

/** The key an event is counted under: the post's id, or the announcement's message. */
function eventKey(json: string): string | null {
  const event = JSON.parse(json) as { name: string; data: { id?: number; message?: string } };
  if (event.name === 'new_post') {
    return `post:${event.data.id}`;
  }
  if (event.name === 'announcement') {
    return `announcement:${event.data.message}`;
  }
  return null;
}

interface ConnectCommand {
  type: 'connect';
  baseUrl: string;
  clients: { userId: number; cookie: string }[];
  localAddress: string;
  concurrency: number;
}

function runLoadClient(): void {
  const arrivals = new Map<string, Arrival[]>();
  const reached = new Map<string, Set<number>>();
  const requests: http.ClientRequest[] = [];
  let open = 0;
  let ended = 0;
  let failures = 0;
  /** Frames of a type (reset, session_ended, ...) other than data events and state. */
  let controlFrames = 0;

  const record = (userId: number, block: string) => {
    let type: string | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) {
        type = line.slice(7);
      } else if (line.startsWith('data: ')) {
        data += line.slice(6);
      }
    }
    if (type !== undefined) {
      // A stream's opening state and live `post` frames are not events of the log.
      if (type !== 'state' && type !== 'post') {
        controlFrames++;
      }
      return;
    }
    const key = data.startsWith('{') ? eventKey(data) : null;
    if (key === null) {
      return;
    }
    const at = Date.now();
    const list = arrivals.get(key) ?? [];
    arrivals.set(key, list);
    list.push([userId, at]);
    const users = reached.get(key) ?? new Set<number>();
    reached.set(key, users);
    users.add(userId);
  };

  const openStream = (command: ConnectCommand, client: ConnectCommand['clients'][number]) =>
    new Promise<void>((resolve) => {
      const req = http.get(
        `${command.baseUrl}/notifications/stream`,
        { headers: { Cookie: client.cookie }, agent: false, localAddress: command.localAddress },
        (res) => {
          if (res.statusCode !== 200) {
            failures++;
            res.resume();
            resolve();
            return;
          }
          open++;
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (chunk: string) => {
            resolve();
            buffer += chunk;
            let end: number;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              record(client.userId, buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
          });
          res.on('close', () => {
            open--;
            ended++;
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', () => {
        failures++;
        resolve();
      });
      requests.push(req);
    });

  const connect = async (command: ConnectCommand) => {
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < command.clients.length) {
        await openStream(command, command.clients[next++]);
      }
    };
    await Promise.all(Array.from({ length: command.concurrency }, worker));
    return { started, finished: Date.now(), failures, open };
  };

  process.on('message', (message: { type: string; key?: string }) => {
    const send = (reply: Record<string, unknown>) => process.send?.(reply);
    if (message.type === 'connect') {
      void connect(message as ConnectCommand).then((r) => send({ type: 'connected', ...r }));
    } else if (message.type === 'count') {
      send({ type: 'count', reached: reached.get(message.key!)?.size ?? 0 });
    } else if (message.type === 'arrivals') {
      send({ type: 'arrivals', arrivals: arrivals.get(message.key!) ?? [] });
    } else if (message.type === 'summary') {
      const keys = Object.fromEntries(
        [...arrivals].map(([key, list]) => [
          key,
          { reached: reached.get(key)?.size ?? 0, events: list.length },
        ]),
      );
      send({ type: 'summary', keys, open, ended, failures, controlFrames });
    } else if (message.type === 'close') {
      requests.forEach((req) => req.destroy());
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Settings, the machine, the databases

const FOLLOWERS = Number(option('followers') ?? 10_000);
const REPEAT = Number(option('repeat') ?? 5);
const DATABASES = (option('databases') ?? 'sqlite,mariadb').split(',') as ('sqlite' | 'mariadb')[];
const REDIS = !process.argv.includes('--no-redis');
/** How long one event may take to reach every stream before the run records what is missing. */
const TIMEOUT_MS = Number(option('timeout') ?? 600) * 1000;
const OUT = option('out') ?? 'fanout';
const CONNECT_CONCURRENCY = 100;
/** Batches whose statements are replayed per setup. */
const REPLAY_RUNS = 10;
const CLK_TCK = 100;
/** user1 is the admin (seedUsers*), user2 the author, the rest follow the author. */
const ADMIN = 1;
const AUTHOR = 2;
/**
 * Followers per delivery transaction (FANOUT_BATCH), read in main(): the load processes run
 * this file too and need nothing of src/, whose loading takes seconds.
 */
let fanoutBatch = 0;
/** "Quiet": busy cores over a 2 s sample, before a repeat starts. */
const QUIET_BUSY_CORES = 0.3;
const QUIET_WAIT_MS = Number(option('quiet-wait') ?? 30) * 1000;

const log = (line: string) => console.log(line);

/** Busy and total CPU seconds of the whole machine (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const values = ticks.map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - values[3] - values[4]) / CLK_TCK, total: total / CLK_TCK };
}

/** Waits up to QUIET_WAIT_MS for the machine to be idle (others' tests, builds); returns the last sample. */
async function waitForQuiet(): Promise<{ waitedSeconds: number; busyCores: number }> {
  const started = Date.now();
  for (;;) {
    const before = machineCpu();
    await sleep(2000);
    const after = machineCpu();
    const busyCores = ((after.busy - before.busy) / (after.total - before.total)) * cpus().length;
    const waitedSeconds = (Date.now() - started) / 1000;
    if (busyCores < QUIET_BUSY_CORES || waitedSeconds * 1000 >= QUIET_WAIT_MS) {
      return { waitedSeconds, busyCores };
    }
  }
}

function mariadbPid(): number | null {
  for (const entry of readdirSync('/proc')) {
    if (/^\d+$/.test(entry)) {
      try {
        const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (comm === 'mariadbd' || comm === 'mysqld') {
          return Number(entry);
        }
      } catch {
        /* the process ended */
      }
    }
  }
  return null;
}

const git = (...args: string[]) => {
  try {
    return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};

interface Target {
  database: 'SQLite' | 'MariaDB';
  url: string;
  /** Users 1..N+2; users 3..N+2 follow user 2. Returns the followers' ids, ascending. */
  seed(): Promise<number[]>;
  lastPostId(): Promise<number>;
  /** When each follower's `new_post` of the post was written (ms), by user id. */
  recordedAt(postId: number, since: number): Promise<Map<number, number>>;
  replayer(): Promise<Replayer>;
  drop(): Promise<void>;
}

const utcStamp = () => new Date().toISOString().replace('T', ' ').replace('Z', '');
const newPostJson = (postId: number) => JSON.stringify({ id: postId, author: `user${AUTHOR}` });

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'microblog-fanout-'));
  const file = join(dir, 'bench.sqlite');
  const read = <T>(sql: string, ...values: unknown[]): T[] => {
    const db = new Database(file, { readonly: true, timeout: 10_000 });
    try {
      return db.prepare(sql).all(...values) as T[];
    } finally {
      db.close();
    }
  };
  return {
    database: 'SQLite',
    url: `sqlite:${file}`,
    seed: () => {
      seedUsersSqlite(file, FOLLOWERS + 2);
      const db = new Database(file, { timeout: 10_000 });
      try {
        const followers = (
          db.prepare('SELECT id FROM users WHERE id > ? ORDER BY id').all(AUTHOR) as {
            id: number;
          }[]
        ).map((row) => row.id);
        const insert = db.prepare(
          'INSERT INTO follows (follower_id, followed_id, created_at) VALUES (?, ?, ?)',
        );
        const stamp = utcStamp();
        db.transaction(() => {
          followers.forEach((id) => insert.run(id, AUTHOR, stamp));
          db.prepare('UPDATE users SET following_count = 1 WHERE id > ?').run(AUTHOR);
          db.prepare('UPDATE users SET followers_count = ? WHERE id = ?').run(
            followers.length,
            AUTHOR,
          );
        })();
        return Promise.resolve(followers);
      } finally {
        db.close();
      }
    },
    lastPostId: () =>
      Promise.resolve(
        read<{ id: number }>('SELECT MAX(id) AS id FROM posts WHERE author_id = ?', AUTHOR)[0].id,
      ),
    recordedAt: (postId, since) =>
      Promise.resolve(
        new Map(
          read<{ user_id: number; timestamp: number }>(
            `SELECT user_id, timestamp FROM events
             WHERE timestamp >= ? AND name = 'new_post' AND payload_json = ?`,
            since / 1000 - 1,
            newPostJson(postId),
          ).map((row) => [row.user_id, row.timestamp * 1000]),
        ),
      ),
    replayer: () => Promise.resolve(sqliteReplayer(file)),
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

async function mariadbTarget(): Promise<Target> {
  const scratch = await createScratchDatabase();
  const query = async <T>(sql: string, values: unknown[] = []): Promise<T> => {
    const connection = await createConnection(scratch.url);
    try {
      const [rows] = await connection.query(sql, values);
      return rows as T;
    } finally {
      await connection.end();
    }
  };
  return {
    database: 'MariaDB',
    url: scratch.url,
    seed: async () => {
      await seedUsersMysql(scratch.url, FOLLOWERS + 2);
      const followers = (
        await query<{ id: number }[]>('SELECT id FROM users WHERE id > ? ORDER BY id', [AUTHOR])
      ).map((row) => Number(row.id));
      const stamp = utcStamp();
      for (const chunk of slices(followers, 2000)) {
        await query('INSERT INTO follows (follower_id, followed_id, created_at) VALUES ?', [
          chunk.map((id) => [id, AUTHOR, stamp]),
        ]);
      }
      await query('UPDATE users SET following_count = 1 WHERE id > ?', [AUTHOR]);
      await query('UPDATE users SET followers_count = ? WHERE id = ?', [followers.length, AUTHOR]);
      return followers;
    },
    lastPostId: async () =>
      Number(
        (
          await query<{ id: number }[]>('SELECT MAX(id) AS id FROM posts WHERE author_id = ?', [
            AUTHOR,
          ])
        )[0].id,
      ),
    recordedAt: async (postId, since) =>
      new Map(
        (
          await query<{ user_id: number; timestamp: number }[]>(
            `SELECT user_id, timestamp FROM events
             WHERE timestamp >= ? AND name = 'new_post' AND payload_json = ?`,
            [since / 1000 - 1, newPostJson(postId)],
          )
        ).map((row) => [Number(row.user_id), Number(row.timestamp) * 1000]),
      ),
    replayer: () => mariadbReplayer(scratch.url),
    drop: scratch.drop,
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const startLoadProcess = () => {
  const load = new LoadProcess(
    fork(__filename, ['--load-client'], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
    }),
  );
  load.child.on('error', () => undefined);
  return load;
};

interface StreamGroup {
  server: Server;
  followers: number[];
}

interface ConnectFigures {
  streams: number;
  failures: number;
  /** From the load processes' first connect to their last stream open (their start-up not counted). */
  connectSeconds: number;
  connectPerSecond: number;
}

/** One stream per follower, from load processes of PER_LOAD_PROCESS streams at most. */
async function connectStreams(
  groups: StreamGroup[],
  loads: LoadProcess[],
): Promise<ConnectFigures> {
  const parts = groups.flatMap((g) => slices(g.followers).map((ids) => ({ ...g, ids })));
  const results = await Promise.all(
    parts.map((part) => {
      const load = startLoadProcess();
      loads.push(load);
      return load.ask<{ started: number; finished: number; failures: number; open: number }>(
        {
          type: 'connect',
          baseUrl: part.server.baseUrl,
          clients: part.ids.map((userId) => ({ userId, cookie: appCookieFor(userId) })),
          localAddress: freshLoopbackAddress(),
          concurrency: CONNECT_CONCURRENCY,
        },
        'connected',
      );
    }),
  );
  const streams = results.reduce((sum, r) => sum + r.open, 0);
  const seconds =
    (Math.max(...results.map((r) => r.finished)) - Math.min(...results.map((r) => r.started))) /
    1000;
  return {
    streams,
    failures: results.reduce((sum, r) => sum + r.failures, 0),
    connectSeconds: seconds,
    connectPerSecond: streams / seconds,
  };
}

async function reachedBy(loads: LoadProcess[], key: string): Promise<number> {
  const counts = await Promise.all(
    loads.map((l) => l.ask<{ reached: number }>({ type: 'count', key }, 'count')),
  );
  return counts.reduce((sum, c) => sum + c.reached, 0);
}

/** Waits until `expected` streams have the event, or TIMEOUT_MS; false if some never did. */
async function waitForAll(
  loads: LoadProcess[],
  apps: Server[],
  key: string,
  expected: number,
): Promise<boolean> {
  const started = Date.now();
  let told = started;
  for (;;) {
    const reached = await reachedBy(loads, key);
    if (reached >= expected) {
      return true;
    }
    const dead = apps.find((app) => app.child.exitCode !== null || app.child.signalCode !== null);
    if (dead) {
      throw new Error(`${dead.name} exited while waiting for ${key}`);
    }
    if (Date.now() - started > TIMEOUT_MS) {
      return false;
    }
    if (Date.now() - told > 10_000) {
      told = Date.now();
      log(`    ${key}: ${reached}/${expected} streams after ${(told - started) / 1000} s`);
    }
    await sleep(50);
  }
}

async function arrivalsOf(loads: LoadProcess[], key: string): Promise<Arrival[]> {
  const replies = await Promise.all(
    loads.map((l) => l.ask<{ arrivals: Arrival[] }>({ type: 'arrivals', key }, 'arrivals')),
  );
  return replies.flatMap((r) => r.arrivals);
}

// ---------------------------------------------------------------------------------------------
// One delivery measured

/** /health answers (no database work) while a delivery runs: how long the app's event loop stalls. */
interface Probe {
  requests: number;
  p50Ms: number;
  /** The slowest request, answered or failed. */
  maxMs: number;
  /** Requests that failed (a keep-alive connection the app closed under a request it had not read). */
  failures: number;
}

/** GETs /health back to back (20 ms apart) until `done` settles. */
async function probeWhile<T>(server: Server, done: Promise<T>): Promise<[T, Probe]> {
  let finished = false;
  let failures = 0;
  const times: number[] = [];
  const probing = (async () => {
    while (!finished) {
      const started = Date.now();
      try {
        const res = await fetch(`${server.baseUrl}/health`);
        await res.arrayBuffer();
      } catch {
        failures++;
      }
      times.push(Date.now() - started);
      await sleep(20);
    }
  })();
  try {
    await done;
  } finally {
    finished = true;
    // The request in flight counts: it may be the one the stall held.
    await probing;
  }
  return [
    await done,
    { requests: times.length, p50Ms: median(times), maxMs: Math.max(...times), failures },
  ];
}

interface CpuSample {
  apps: number[];
  mariadbd: number;
  loads: number;
  machine: { busy: number; total: number };
  at: number;
}

interface CpuFigures {
  /** Cores busy over the delivery (from the request's start until the last stream had it). */
  appCores: number[];
  mariadbdCores: number | null;
  loadClientCores: number;
  machineBusyCores: number;
  /** What the app, mariadbd and the load processes don't explain: others on the machine. */
  otherBusyCores: number;
}

class CpuMeter {
  constructor(
    private readonly apps: Server[],
    private readonly loads: LoadProcess[],
    private readonly dbPid: number | null,
  ) {}

  sample(): CpuSample {
    return {
      apps: this.apps.map((app) => procStat(app.child.pid!).cpuSeconds),
      mariadbd: this.dbPid === null ? 0 : procStat(this.dbPid).cpuSeconds,
      loads: this.loads.reduce((sum, l) => sum + procStat(l.child.pid!).cpuSeconds, 0),
      machine: machineCpu(),
      at: Date.now(),
    };
  }

  between(a: CpuSample, b: CpuSample): CpuFigures {
    const seconds = Math.max(0.001, (b.at - a.at) / 1000);
    const appCpu = b.apps.map((v, i) => v - a.apps[i]);
    const mariadbd = b.mariadbd - a.mariadbd;
    const loads = b.loads - a.loads;
    const busy = b.machine.busy - a.machine.busy;
    const own = appCpu.reduce((s, v) => s + v, 0) + mariadbd + loads;
    return {
      appCores: appCpu.map((v) => v / seconds),
      mariadbdCores: this.dbPid === null ? null : mariadbd / seconds,
      loadClientCores: loads / seconds,
      machineBusyCores: busy / seconds,
      otherBusyCores: Math.max(0, busy - own) / seconds,
    };
  }
}

interface Delivery {
  key: string;
  /** The request, from its start until its answer (ms), and its status. */
  requestMs: number;
  status: number;
  complete: boolean;
  /** Followers whose stream had it when the wait ended; missing; arrivals beyond one a stream. */
  reached: number;
  missing: number;
  duplicates: number;
  lastAfterStartMs: number;
  lastAfterAnswerMs: number;
  /** Each stream's first arrival, from the request's start. */
  fromStartMs: Latencies;
  cpu: CpuFigures;
  /** /health on the process the request went to, while the event was on its way. */
  health: Probe;
}

interface Batch {
  batch: number;
  followers: number;
  /** ms from the POST's start: when its events were stamped (inside its transaction). */
  recordedMs: number;
  firstMs: number;
  lastMs: number;
  /** Streams on the posting process, and (with Redis) on the other. */
  firstLocalMs: number;
  lastLocalMs: number;
  firstRemoteMs: number | null;
  lastRemoteMs: number | null;
}

interface BatchSummary {
  batches: number;
  /** The first batch's stamp after the POST's answer. */
  firstStampAfterAnswerMs: number;
  /** Median of stamp[b] - stamp[b-1]: one batch's transaction, back to back. */
  cycleMs: number;
  /** Last batch's stamp - first batch's stamp. */
  stampsSpanMs: number;
  /** Median of first arrival of b - stamp of b (local streams): its events, COMMIT, publish, the wire. */
  stampToFirstMs: number;
  /** Median of last - first arrival within a batch (local streams): 500 events out to streams. */
  spreadMs: number;
  /** Last arrival anywhere - the last batch's stamp. */
  drainMs: number;
  /** With Redis: median of first remote arrival - first local arrival of the same batch. */
  remoteLagMs: number | null;
}

interface PostDelivery extends Delivery {
  postId: number;
  batchSummary: BatchSummary;
  batches: Batch[];
}

interface Run {
  repeat: number;
  post: PostDelivery;
  announcement: Delivery;
  /** Post (last stream, from the POST's start) / announcement (last stream, from its start). */
  ratio: number;
  /** Busy cores of the machine just before the repeat (the app's idle streams included). */
  busyCoresBefore: number;
  quietWaitSeconds: number;
}

interface Context {
  target: Target;
  apps: Server[];
  loads: LoadProcess[];
  followers: number[];
  /** Followers whose stream is on apps[1] (Redis setups). */
  remote: Set<number>;
  cpu: CpuMeter;
}

function deliveryOf(
  ctx: Context,
  key: string,
  arrivals: Arrival[],
  started: number,
  answered: number,
  status: number,
  complete: boolean,
  cpu: CpuFigures,
  health: Probe,
): { delivery: Delivery; first: Map<number, number> } {
  const wanted = new Set(ctx.followers);
  const first = new Map<number, number>();
  let duplicates = 0;
  for (const [userId, at] of arrivals) {
    if (!wanted.has(userId)) {
      continue;
    }
    if (first.has(userId)) {
      duplicates++;
      first.set(userId, Math.min(first.get(userId)!, at));
    } else {
      first.set(userId, at);
    }
  }
  const last = first.size ? Math.max(...first.values()) : NaN;
  return {
    first,
    delivery: {
      key,
      requestMs: answered - started,
      status,
      complete,
      reached: first.size,
      missing: ctx.followers.length - first.size,
      duplicates,
      lastAfterStartMs: last - started,
      lastAfterAnswerMs: last - answered,
      fromStartMs: latencies([...first.values()].map((at) => at - started)),
      cpu,
      health,
    },
  };
}

const median = (values: number[]) => (values.length ? percentile(values, 50) : NaN);

function batchesOf(
  ctx: Context,
  first: Map<number, number>,
  recorded: Map<number, number>,
  started: number,
): Batch[] {
  const minMax = (values: number[]) =>
    values.length ? [Math.min(...values) - started, Math.max(...values) - started] : [null, null];
  return slices(ctx.followers, fanoutBatch).map((ids, batch) => {
    const at = (remote: boolean) =>
      ids
        .filter((id) => ctx.remote.has(id) === remote && first.has(id))
        .map((id) => first.get(id)!);
    const all = ids.filter((id) => first.has(id)).map((id) => first.get(id)!);
    const stamps = ids.filter((id) => recorded.has(id)).map((id) => recorded.get(id)!);
    const [firstMs, lastMs] = minMax(all);
    const [firstLocalMs, lastLocalMs] = minMax(at(false));
    const [firstRemoteMs, lastRemoteMs] = minMax(at(true));
    return {
      batch,
      followers: ids.length,
      recordedMs: stamps.length ? Math.min(...stamps) - started : NaN,
      firstMs: firstMs ?? NaN,
      lastMs: lastMs ?? NaN,
      firstLocalMs: firstLocalMs ?? NaN,
      lastLocalMs: lastLocalMs ?? NaN,
      firstRemoteMs,
      lastRemoteMs,
    };
  });
}

function summarise(batches: Batch[], answeredAfterStartMs: number, redis: boolean): BatchSummary {
  const last = batches[batches.length - 1];
  return {
    batches: batches.length,
    firstStampAfterAnswerMs: batches[0].recordedMs - answeredAfterStartMs,
    cycleMs: median(batches.slice(1).map((b, i) => b.recordedMs - batches[i].recordedMs)),
    stampsSpanMs: last.recordedMs - batches[0].recordedMs,
    stampToFirstMs: median(batches.map((b) => b.firstLocalMs - b.recordedMs)),
    spreadMs: median(batches.map((b) => b.lastLocalMs - b.firstLocalMs)),
    drainMs: Math.max(...batches.map((b) => b.lastMs)) - last.recordedMs,
    remoteLagMs: redis
      ? median(batches.map((b) => (b.firstRemoteMs ?? NaN) - b.firstLocalMs))
      : null,
  };
}

/** The home page's form for the author: its cookies and CSRF token, as a browser has them. */
async function postForm(server: Server): Promise<{ cookie: string; token: string }> {
  const jar = new Map<string, string>([['mb_token', appCookieFor(AUTHOR).split('=')[1]]]);
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const page = await fetch(`${server.baseUrl}/`, { headers: { Cookie: cookie() } });
  for (const c of page.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const html = await page.text();
  const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (!token || !html.includes('action="/posts"')) {
    throw new Error(`the home page (${page.status}) has no post form with a CSRF token`);
  }
  return { cookie: cookie(), token };
}

async function measurePost(
  ctx: Context,
  form: { cookie: string; token: string },
  repeat: number,
): Promise<PostDelivery> {
  const before = ctx.cpu.sample();
  const started = Date.now();
  const delivered = (async () => {
    const res = await fetch(`${ctx.apps[0].baseUrl}/posts`, {
      method: 'POST',
      headers: { Cookie: form.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf_token: form.token,
        post: `Fan-out bench, repeat ${repeat} (${randomUUID().slice(0, 8)})`,
      }),
      redirect: 'manual',
    });
    await res.arrayBuffer();
    const answered = Date.now();
    if (res.status !== 302) {
      throw new Error(`POST /posts answered ${res.status}`);
    }
    const postId = await ctx.target.lastPostId();
    const complete = await waitForAll(ctx.loads, ctx.apps, `post:${postId}`, ctx.followers.length);
    return { status: res.status, answered, postId, complete };
  })();
  const [{ status, answered, postId, complete }, health] = await probeWhile(ctx.apps[0], delivered);
  const cpu = ctx.cpu.between(before, ctx.cpu.sample());
  const key = `post:${postId}`;
  const arrivals = await arrivalsOf(ctx.loads, key);
  const { delivery, first } = deliveryOf(
    ctx,
    key,
    arrivals,
    started,
    answered,
    status,
    complete,
    cpu,
    health,
  );
  const batches = batchesOf(ctx, first, await ctx.target.recordedAt(postId, started), started);
  return {
    ...delivery,
    postId,
    batchSummary: summarise(batches, answered - started, ctx.apps.length > 1),
    batches,
  };
}

async function announce(server: Server, message: string): Promise<Response> {
  const res = await fetch(`${server.baseUrl}/api/admin/notifications`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${appCookieFor(ADMIN).slice('mb_token='.length)}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ user: 'all', name: 'announcement', data: { message } }),
  });
  if (res.status !== 201) {
    throw new Error(`the announcement failed: ${res.status} ${await res.text()}`);
  }
  await res.arrayBuffer();
  return res;
}

async function measureAnnouncement(ctx: Context, message: string): Promise<Delivery> {
  const before = ctx.cpu.sample();
  const started = Date.now();
  const key = `announcement:${message}`;
  const delivered = (async () => {
    const res = await announce(ctx.apps[0], message);
    const answered = Date.now();
    const complete = await waitForAll(ctx.loads, ctx.apps, key, ctx.followers.length);
    return { status: res.status, answered, complete };
  })();
  const [{ status, answered, complete }, health] = await probeWhile(ctx.apps[0], delivered);
  const cpu = ctx.cpu.between(before, ctx.cpu.sample());
  const arrivals = await arrivalsOf(ctx.loads, key);
  return deliveryOf(ctx, key, arrivals, started, answered, status, complete, cpu, health).delivery;
}

// ---------------------------------------------------------------------------------------------
// One batch's statements, replayed from outside

/** A connection of this script's own to the setup's database. */
interface Replayer {
  sqlite: boolean;
  exec(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function sqliteReplayer(file: string): Replayer {
  const db = new Database(file, { timeout: 10_000 });
  return {
    sqlite: true,
    exec: (sql, values = []) => {
      const statement = db.prepare(sql);
      if (statement.reader) {
        return Promise.resolve(statement.all(...values) as Record<string, unknown>[]);
      }
      statement.run(...values);
      return Promise.resolve([]);
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

async function mariadbReplayer(url: string): Promise<Replayer> {
  const connection = await createConnection(url);
  return {
    sqlite: false,
    exec: async (sql, values = []) => {
      const [rows] = await connection.query(sql, values);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    close: () => connection.end(),
  };
}

/** Statement → ms, in the order a batch runs them. */
type StatementTimes = Record<string, number>;

/**
 * One delivery batch as src/posts/post-fanout.service.ts runs it (the same statements in the
 * same order, raw SQL instead of TypeORM's), for a post of the replay's own that no stream
 * hears of, committed. The difference to the app's cycle is the app's own time per batch.
 */
async function replayBatch(db: Replayer, followers: number[], index: number) {
  const { sqlite } = db;
  const times: StatementTimes = {};
  const timed = async (name: string, sql: string, values: unknown[] = []) => {
    const started = performance.now();
    const rows = await db.exec(sql, values);
    times[name] = performance.now() - started;
    return rows;
  };
  const forUpdate = sqlite ? '' : ' FOR UPDATE';
  const now = new Date();
  const stamp = sqlite ? now.toISOString().replace('T', ' ').replace('Z', '') : now;
  await db.exec(
    'INSERT INTO posts (author_id, body, timestamp, fanout_after) VALUES (?, ?, ?, NULL)',
    [AUTHOR, `replay ${index}`, stamp],
  );
  const [{ id }] = await db.exec('SELECT MAX(id) AS id FROM posts WHERE author_id = ?', [AUTHOR]);
  const postId = Number(id);
  // Batch `index` of the followers (from the first again past the last).
  const batch = index % Math.ceil(followers.length / fanoutBatch);
  const after = batch === 0 ? 0 : followers[batch * fanoutBatch - 1];
  const list = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  if (sqlite) {
    await timed('begin', 'BEGIN TRANSACTION');
  } else {
    await db.exec('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await timed('begin', 'START TRANSACTION');
  }
  await timed('post row', `SELECT * FROM posts WHERE id = ?${forUpdate}`, [postId]);
  await timed('author row', 'SELECT * FROM users WHERE id = ?', [AUTHOR]);
  const page = await timed(
    'follows page',
    `SELECT follower_id FROM follows WHERE followed_id = ? AND follower_id > ?
     ORDER BY follower_id LIMIT ${fanoutBatch}`,
    [AUTHOR, after],
  );
  const ids = page.map((row) => Number(row.follower_id));
  await timed('post fanout_after', 'UPDATE posts SET fanout_after = ? WHERE id = ?', [
    ids[ids.length - 1],
    postId,
  ]);
  const users = await timed(
    `lock ${ids.length} users`,
    `SELECT * FROM users WHERE id IN (${list(ids.length)}) ORDER BY id${forUpdate}`,
    ids,
  );
  await timed(
    `${ids.length} timeline rows`,
    `INSERT ${sqlite ? 'OR IGNORE' : 'IGNORE'} INTO timeline_entries (user_id, post_id, author_id, timestamp)
     VALUES ${ids.map(() => '(?, ?, ?, ?)').join(', ')}`,
    ids.flatMap((userId) => [userId, postId, AUTHOR, stamp]),
  );
  const [{ last_seq: announcementsBefore }] = await timed(
    'announcement counter',
    `SELECT last_seq FROM announcement_sequence WHERE id = 1${sqlite ? '' : ' LOCK IN SHARE MODE'}`,
  );
  const seqs = users.map((user) => [Number(user.id), Number(user.event_seq) + 1]);
  const payload = JSON.stringify({ id: postId, author: `user${AUTHOR}` });
  const timestamp = Date.now() / 1000;
  await timed(
    `${ids.length} event rows`,
    `INSERT INTO events (user_id, seq, announcements_before, name, payload_json, timestamp)
     VALUES ${seqs.map(() => "(?, ?, ?, 'new_post', ?, ?)").join(', ')}`,
    seqs.flatMap(([userId, seq]) => [userId, seq, announcementsBefore, payload, timestamp]),
  );
  await timed(
    `${ids.length} event numbers`,
    `UPDATE users SET event_seq = CASE id ${seqs.map(() => 'WHEN ? THEN ?').join(' ')} END
     WHERE id IN (${list(seqs.length)})`,
    [...seqs.flat(), ...seqs.map(([userId]) => userId)],
  );
  await timed('commit', 'COMMIT');
  return times;
}

interface Replay {
  runs: number;
  /** Median ms per statement over the runs, in the batch's order. */
  statementMs: StatementTimes;
  /** The fastest run of each statement: the nearest to its own cost on a shared machine. */
  statementMinMs: StatementTimes;
  totalMs: number;
  totalMinMs: number;
}

/** Replays `runs` batches (followers 1-500, 501-1000, ...), once the streams are closed. */
async function replay(db: Replayer, followers: number[], runs: number): Promise<Replay> {
  const all: StatementTimes[] = [];
  for (let i = 0; i < runs; i++) {
    all.push(await replayBatch(db, followers, i));
  }
  const names = Object.keys(all[0]);
  const per = (pick: (values: number[]) => number) =>
    Object.fromEntries(names.map((name) => [name, pick(all.map((t) => t[name]))]));
  const totals = all.map((t) => Object.values(t).reduce((a, b) => a + b, 0));
  return {
    runs,
    statementMs: per(median),
    statementMinMs: per((values) => Math.min(...values)),
    totalMs: median(totals),
    totalMinMs: Math.min(...totals),
  };
}

/** Waits (up to a minute) until the app processes have let every stream go. */
async function streamsClosed(apps: Server[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const open = await Promise.all(
      apps.map(async (app) => {
        const res = await fetch(`${app.baseUrl}/health`);
        return ((await res.json()) as { openStreams: number }).openStreams;
      }),
    );
    if (open.every((n) => n === 0)) {
      return;
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------
// A setup: its app processes, streams and runs

type SetupName = 'SQLite, 1 process' | 'MariaDB, 1 process' | 'MariaDB, 2 processes + Redis';

interface SetupResult {
  setup: SetupName;
  database: 'SQLite' | 'MariaDB';
  processes: number;
  redis: boolean;
  followers: number;
  connect: ConnectFigures;
  /** Each app process's own count of its open streams (/health), once all were connected. */
  openStreamsPerProcess: number[];
  /** Streams that had the warm-up announcement (every one must). */
  warmUpReached: number;
  runs: Run[];
  /** After the closing announcement reached every stream: every event of the setup, counted again. */
  final: {
    markerComplete: boolean;
    /** key → [streams that had it, events received] */
    events: Record<string, [number, number]>;
    streamsOpen: number;
    streamsEnded: number;
    connectFailures: number;
    /** reset or session_ended frames (none expected). */
    controlFrames: number;
  };
  /** One batch's statements from a connection of this script's own, after the runs. */
  replay: Replay;
}

interface Summary {
  keys: Record<string, { reached: number; events: number }>;
  open: number;
  ended: number;
  failures: number;
  controlFrames: number;
}

async function finalCount(loads: LoadProcess[]): Promise<SetupResult['final']> {
  const summaries = await Promise.all(
    loads.map((l) => l.ask<Summary>({ type: 'summary' }, 'summary')),
  );
  const events: Record<string, [number, number]> = {};
  for (const s of summaries) {
    for (const [key, v] of Object.entries(s.keys)) {
      const [reached, total] = events[key] ?? [0, 0];
      events[key] = [reached + v.reached, total + v.events];
    }
  }
  const sum = (f: (s: Summary) => number) => summaries.reduce((t, s) => t + f(s), 0);
  return {
    markerComplete: false,
    events,
    streamsOpen: sum((s) => s.open),
    streamsEnded: sum((s) => s.ended),
    connectFailures: sum((s) => s.failures),
    controlFrames: sum((s) => s.controlFrames),
  };
}

const cleanups = new Set<() => Promise<void>>();

async function runSetup(setup: SetupName): Promise<SetupResult> {
  const redisSetup = setup === 'MariaDB, 2 processes + Redis';
  const target = setup === 'SQLite, 1 process' ? sqliteTarget() : await mariadbTarget();
  const dropTarget = () => target.drop();
  cleanups.add(dropTarget);
  const redis = redisSetup ? await RedisProcess.start() : null;
  const stopRedis = async () => redis?.stop();
  cleanups.add(stopRedis);
  const apps: Server[] = [];
  const loads: LoadProcess[] = [];
  const closeAll = async () => {
    for (const load of loads.splice(0)) {
      if (load.child.connected) {
        load.close();
      }
    }
    await Promise.all(apps.splice(0).map((app) => stopProcess(app.child)));
  };
  cleanups.add(closeAll);
  // Whatever ends this process, the app processes end with it.
  const killApps = () => apps.forEach((app) => app.child.kill('SIGKILL'));
  process.on('exit', killApps);
  try {
    const env: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
    apps.push(await startApp('app-1', serverPort(), target.url, env));
    log(`  seeding ${FOLLOWERS} followers...`);
    const followers = await target.seed();
    if (redis) {
      apps.push(
        await startApp('app-2', serverPort(), target.url, { ...env, DB_MIGRATIONS_RUN: 'false' }),
      );
    }
    // With two processes, followers alternate between them: every batch has streams on both.
    const groups = apps.map((server, p) => ({
      server,
      followers: followers.filter((_, i) => i % apps.length === p),
    }));
    const remote = new Set(groups[1]?.followers ?? []);
    log(`  opening ${followers.length} streams...`);
    const connect = await connectStreams(groups, loads);
    log(
      `  ${connect.streams} open (${connect.failures} failed) in ${connect.connectSeconds.toFixed(1)} s`,
    );
    const ctx: Context = {
      target,
      apps,
      loads,
      followers,
      remote,
      cpu: new CpuMeter(apps, loads, target.database === 'MariaDB' ? mariadbPid() : null),
    };
    const openStreamsPerProcess = await Promise.all(
      apps.map(async (app) => {
        const res = await fetch(`${app.baseUrl}/health`);
        return ((await res.json()) as { openStreams: number }).openStreams;
      }),
    );
    const warmUp = `warm-up ${randomUUID()}`;
    await announce(apps[0], warmUp);
    await waitForAll(loads, apps, `announcement:${warmUp}`, followers.length);
    const warmUpReached = await reachedBy(loads, `announcement:${warmUp}`);
    const form = await postForm(apps[0]);
    const runs: Run[] = [];
    for (let repeat = 1; repeat <= REPEAT; repeat++) {
      const quiet = await waitForQuiet();
      const post = await measurePost(ctx, form, repeat);
      const announcement = await measureAnnouncement(ctx, `repeat ${repeat} ${randomUUID()}`);
      const run = {
        repeat,
        post,
        announcement,
        ratio: post.lastAfterStartMs / announcement.lastAfterStartMs,
        busyCoresBefore: quiet.busyCores,
        quietWaitSeconds: quiet.waitedSeconds,
      };
      runs.push(run);
      log(`  ${runLine(run)}`);
    }
    // Every stream has the closing announcement: anything sent before it has arrived.
    const marker = `closing ${randomUUID()}`;
    await announce(apps[0], marker);
    const markerComplete = await waitForAll(
      loads,
      apps,
      `announcement:${marker}`,
      followers.length,
    );
    const final = { ...(await finalCount(loads)), markerComplete };
    for (const load of loads.splice(0)) {
      load.close();
    }
    // The app's teardown of 10,000 streams would be timed with the statements.
    await streamsClosed(apps);
    await sleep(2000);
    log(`  replaying ${REPLAY_RUNS} batches' statements...`);
    const db = await target.replayer();
    const statements = await replay(db, followers, REPLAY_RUNS).finally(() => db.close());
    return {
      setup,
      database: target.database,
      processes: apps.length,
      redis: redisSetup,
      followers: followers.length,
      connect,
      openStreamsPerProcess,
      warmUpReached,
      runs,
      final,
      replay: statements,
    };
  } finally {
    process.off('exit', killApps);
    await closeAll();
    await stopRedis();
    await dropTarget();
    cleanups.delete(closeAll);
    cleanups.delete(stopRedis);
    cleanups.delete(dropTarget);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits);

const runLine = (r: Run) =>
  `repeat ${r.repeat}: post ${r.post.postId} answered in ${f(r.post.requestMs)} ms, last stream ` +
  `${f(r.post.lastAfterAnswerMs)} ms after the answer (${r.post.reached}/${r.post.reached + r.post.missing}, ` +
  `${r.post.duplicates} dup, ${r.post.batchSummary.batches} batches, ${f(r.post.batchSummary.cycleMs, 1)} ms/batch); ` +
  `announcement last ${f(r.announcement.lastAfterStartMs)} ms (${r.announcement.reached}, ` +
  `${r.announcement.duplicates} dup); ratio ${f(r.ratio, 1)}; slowest /health ${f(r.post.health.maxMs)} ms (${r.post.health.failures} failed)`;

/** Median (min–max) over the runs. */
const spread = (values: number[], digits = 0) =>
  values.length > 1
    ? `${f(median(values), digits)} (${f(Math.min(...values), digits)}–${f(Math.max(...values), digits)})`
    : f(values[0], digits);

const counts = (ds: Delivery[]) =>
  `${Math.min(...ds.map((d) => d.reached))} / ${ds.reduce((s, d) => s + d.missing, 0)} / ` +
  `${ds.reduce((s, d) => s + d.duplicates, 0)}`;

function summaryTable(setups: SetupResult[]): string {
  const rows = setups.map((s) => {
    const posts = s.runs.map((r) => r.post);
    const anns = s.runs.map((r) => r.announcement);
    return (
      `| ${s.setup} | ${s.connect.streams} (${f(s.connect.connectPerSecond)}/s) | ${spread(posts.map((p) => p.requestMs))} | ` +
      `${spread(posts.map((p) => p.lastAfterAnswerMs))} | ${spread(posts.map((p) => p.lastAfterStartMs))} | ` +
      `${f(median(posts.map((p) => p.fromStartMs.p50)))} / ${f(median(posts.map((p) => p.fromStartMs.p99)))} | ` +
      `${counts(posts)} | ${spread(anns.map((a) => a.requestMs))} | ${spread(anns.map((a) => a.lastAfterStartMs))} | ` +
      `${f(median(anns.map((a) => a.fromStartMs.p50)))} / ${f(median(anns.map((a) => a.fromStartMs.p99)))} | ` +
      `${counts(anns)} | ${spread(
        s.runs.map((r) => r.ratio),
        1,
      )} |`
    );
  });
  return [
    '| setup | streams (connects/s) | post: POST answer ms | post: last stream after answer ms | post: last stream after start ms | post: p50 / p99 per stream from start ms | post: fewest reached / missing / duplicates | announcement: answer ms | announcement: last stream after start ms | announcement: p50 / p99 from start ms | announcement: fewest reached / missing / duplicates | ratio post / announcement |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function batchTable(setups: SetupResult[]): string {
  const rows = setups.map((s) => {
    const b = s.runs.map((r) => r.post.batchSummary);
    const posts = s.runs.map((r) => r.post);
    const m = (pick: (x: BatchSummary) => number | null, digits = 0) =>
      spread(
        b.map((x) => pick(x) ?? NaN),
        digits,
      );
    return (
      `| ${s.setup} | ${b[0]?.batches ?? '-'} | ${m((x) => x.firstStampAfterAnswerMs)} | ` +
      `${m((x) => x.cycleMs)} | ${m((x) => x.stampsSpanMs)} | ${m((x) => x.stampToFirstMs)} | ` +
      `${m((x) => x.spreadMs)} | ${m((x) => x.drainMs)} | ${s.redis ? m((x) => x.remoteLagMs) : '-'} | ` +
      `${spread(posts.map((p) => p.health.maxMs))} (${posts.reduce((t, p) => t + p.health.failures, 0)} failed) | ` +
      `${spread(s.runs.map((r) => r.announcement.health.maxMs))} (${s.runs.reduce((t, r) => t + r.announcement.health.failures, 0)} failed) | ` +
      `${posts.map((p) => p.cpu.appCores.map((c) => f(c, 2)).join('+')).join(', ')} | ` +
      `${s.database === 'MariaDB' ? posts.map((p) => f(p.cpu.mariadbdCores, 2)).join(', ') : '-'} | ` +
      `${posts.map((p) => f(p.cpu.otherBusyCores, 2)).join(', ')} |`
    );
  });
  return [
    "| setup | batches | first batch stamped after the answer ms | cycle ms/batch | first → last stamp ms | stamp → first arrival ms | first → last arrival in a batch ms | last stamp → last arrival ms | remote lag ms (Redis) | slowest /health during the post ms (failed requests) | slowest /health during the announcement ms (failed) | app CPU cores, per run | mariadbd cores, per run | others' cores, per run |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function runsTable(setups: SetupResult[]): string {
  return [
    "| setup | repeat | post id | POST ms | post last after answer ms | post p50 / p99 ms | post reached / dup | ms/batch | announcement ms (answer / last) | announcement reached / dup | ratio | busy cores before / others' during post |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...setups.flatMap((s) =>
      s.runs.map(
        (r) =>
          `| ${s.setup} | ${r.repeat} | ${r.post.postId} | ${f(r.post.requestMs)} | ${f(r.post.lastAfterAnswerMs)} | ` +
          `${f(r.post.fromStartMs.p50)} / ${f(r.post.fromStartMs.p99)} | ${r.post.reached} / ${r.post.duplicates} | ` +
          `${f(r.post.batchSummary.cycleMs, 1)} | ${f(r.announcement.requestMs)} / ${f(r.announcement.lastAfterStartMs)} | ` +
          `${r.announcement.reached} / ${r.announcement.duplicates} | ${f(r.ratio, 1)} | ` +
          `${f(r.busyCoresBefore, 2)} / ${f(r.post.cpu.otherBusyCores, 2)} |`,
      ),
    ),
  ].join('\n');
}

/** One post's batches (the setup's median run by fan-out time): where the time goes. */
function batchDetail(s: SetupResult): string {
  const sorted = [...s.runs].sort((a, b) => a.post.lastAfterStartMs - b.post.lastAfterStartMs);
  const run = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!run) {
    return '';
  }
  return [
    `### ${s.setup}: post ${run.post.postId} (repeat ${run.repeat}), batch by batch, ms from the POST's start`,
    '',
    `| batch | followers | stamped | first arrival | last arrival${s.redis ? ' | first / last on the other process' : ''} |`,
    `| ---: | ---: | ---: | ---: | ---:${s.redis ? ' | ---: |' : ' |'}`,
    ...run.post.batches.map(
      (b) =>
        `| ${b.batch + 1} | ${b.followers} | ${f(b.recordedMs)} | ${f(b.firstLocalMs)} | ${f(b.lastLocalMs)}` +
        (s.redis ? ` | ${f(b.firstRemoteMs)} / ${f(b.lastRemoteMs)} |` : ' |'),
    ),
  ].join('\n');
}

/** Statement by statement, one column per setup, beside the app's own cycle per batch. */
function replayTable(setups: SetupResult[]): string {
  const names = [...new Set(setups.flatMap((s) => Object.keys(s.replay.statementMs)))];
  const cell = (min: number | undefined, med: number | undefined) => `${f(min, 1)} (${f(med, 1)})`;
  return [
    `| statement (one batch): fastest (median) ms | ${setups.map((s) => s.setup).join(' | ')} |`,
    `| --- |${setups.map(() => ' ---: |').join('')}`,
    ...names.map(
      (name) =>
        `| ${name} | ${setups
          .map((s) => cell(s.replay.statementMinMs[name], s.replay.statementMs[name]))
          .join(' | ')} |`,
    ),
    `| **one batch in all** | ${setups
      .map((s) => `**${cell(s.replay.totalMinMs, s.replay.totalMs)}**`)
      .join(' | ')} |`,
    `| the app's cycle per batch (above) | ${setups
      .map((s) => spread(s.runs.map((r) => r.post.batchSummary.cycleMs)))
      .join(' | ')} |`,
  ].join('\n');
}

interface FanoutResult {
  name: string;
  date: string;
  command: string;
  machine: string;
  loadAverageAtStart: number[];
  app: { commit: string | null; uncommittedSrcFiles: number | null; builtAt: string };
  settings: {
    followers: number;
    repeat: number;
    batch: number;
    timeoutSeconds: number;
    streamsPerLoadProcess: number;
  };
  setups: SetupResult[];
}

function problems(result: FanoutResult): string[] {
  const lines: string[] = [];
  for (const s of result.setups) {
    if (s.connect.failures || s.connect.streams !== s.followers) {
      lines.push(`${s.setup}: ${s.connect.streams} of ${s.followers} streams opened.`);
    }
    const registered = s.openStreamsPerProcess.reduce((a, b) => a + b, 0);
    if (registered !== s.followers) {
      lines.push(`${s.setup}: the app processes counted ${registered} open streams.`);
    }
    if (s.warmUpReached !== s.followers) {
      lines.push(`${s.setup}: the warm-up announcement reached ${s.warmUpReached} streams.`);
    }
    for (const [key, [reached, events]] of Object.entries(s.final.events)) {
      if (reached !== s.followers || events !== reached) {
        lines.push(
          `${s.setup}: ${key} reached ${reached} of ${s.followers} streams, ${events - reached} duplicate(s).`,
        );
      }
    }
    if (!s.final.markerComplete || s.final.streamsEnded || s.final.controlFrames) {
      lines.push(
        `${s.setup}: closing marker complete: ${s.final.markerComplete}; streams ended: ${s.final.streamsEnded}; reset/session frames: ${s.final.controlFrames}.`,
      );
    }
  }
  return lines;
}

/** A warning when others kept the machine busy: the times are then the machine's, not the app's. */
function contentionNote(result: FanoutResult): string[] {
  const others = result.setups.flatMap((s) => s.runs.map((r) => r.post.cpu.otherBusyCores));
  const busiest = median(others);
  if (!(busiest >= QUIET_BUSY_CORES)) {
    return [];
  }
  return [
    '',
    `**A shared machine:** during the posts' fan-outs others used ${f(busiest, 2)} cores (median; ` +
      `${f(Math.min(...others), 2)}–${f(Math.max(...others), 2)}) of its ${cpus().length}. Times are longer than on a ` +
      "quiet machine and vary with others' load from run to run; compare figures within a run (the ratio, the " +
      'share of each step) rather than across setups or with other results.',
  ];
}

function markdownOf(result: FanoutResult): string {
  const issues = problems(result);
  return [
    `# Post fan-out vs announcement, ${result.settings.followers} followers (${result.date})`,
    '',
    `Command: \`${result.command}\` (after \`npx nest build\`). App at ${result.app.commit ?? '?'} ` +
      `(${result.app.uncommittedSrcFiles ?? '?'} files under src/ uncommitted at the run; dist/ built ${result.app.builtAt ?? '?'}). ` +
      `Machine: ${result.machine}; load average at start ${result.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}.`,
    '',
    `Each setup: one author with ${result.settings.followers} followers seeded in the database, one stream per follower ` +
      `(load processes of up to ${result.settings.streamsPerLoadProcess} streams on the same machine), ${result.settings.repeat} repeats of ` +
      '(a) the author posts the home page form and every follower stream must get its `new_post`, ' +
      '(b) an admin announcement to all and every stream must get it. Cells: median (min–max) over the repeats. ' +
      '"Last stream": the latest of the streams\' first arrivals. Ratio: post last stream after the POST\'s start / ' +
      "announcement last stream after its request's start, per repeat. Reached / missing / duplicates: " +
      'fewest streams reached in a repeat / sum of missing / sum of extra arrivals over the repeats; every event of a ' +
      'setup is counted again once a closing announcement reached every stream.',
    '',
    summaryTable(result.setups),
    '',
    issues.length
      ? `**Delivery problems:** ${issues.join(' ')}`
      : 'Every event reached every stream exactly once.',
    ...contentionNote(result),
    '',
    `## Where a post's fan-out time goes (batches of ${result.settings.batch} followers)`,
    '',
    "Timed from outside: a batch is stamped by its events' `timestamp` in the database (taken in its transaction, " +
      "after the post row, the follows page, the followers' row locks and their timeline rows, before its event rows, " +
      "event numbers and COMMIT); arrivals are the streams' clocks (Date.now(), one machine). Medians over a post's " +
      'batches, then median (min–max) over repeats. The time from the answer to the last stream ≈ first batch stamped ' +
      'after the answer + first → last stamp (batches − 1 cycles) + last stamp → last arrival. ' +
      'CPU: cores busy from the POST\'s start until the last stream had the post ("others": the machine\'s busy cores ' +
      'that the app, mariadbd and the load processes do not explain).',
    '',
    batchTable(result.setups),
    '',
    "### One batch's statements, replayed",
    '',
    `After each setup's runs and with its streams closed, ${REPLAY_RUNS} batches of the same statements the delivery ` +
      "runs (raw SQL from a connection of this script's own, committed, for a post of the replay's own), timed one " +
      "by one: the fastest and the median over the batches (others' load only ever adds). What the app's cycle " +
      "adds to a batch's statements is its own time per batch (TypeORM building the statements and hydrating " +
      '500 users, publishing 500 events, scheduling on a shared machine).',
    '',
    replayTable(result.setups),
    '',
    ...result.setups.flatMap((s) => [batchDetail(s), '']),
    '## Every run',
    '',
    runsTable(result.setups),
  ].join('\n');
}

function writeResults(result: FanoutResult): void {
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(
    join(__dirname, 'results', `${result.name}.json`),
    JSON.stringify(result, null, 2) + '\n',
  );
  const markdown = markdownOf(result);
  writeFileSync(join(__dirname, 'results', `${result.name}.md`), markdown + '\n');
  log(`\n${markdown}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--report-only')) {
    // The tables again from a run's JSON, e.g. after a change to them.
    writeResults(
      JSON.parse(readFileSync(join(__dirname, 'results', `${OUT}.json`), 'utf8')) as FanoutResult,
    );
    return;
  }
  // The single-process setups deliver in-process; only the Redis setup gets a REDIS_URL.
  delete process.env.REDIS_URL;
  fanoutBatch = (await import('../src/posts/post-fanout.service')).FANOUT_BATCH;
  const setups: SetupName[] = [];
  if (DATABASES.includes('sqlite')) {
    setups.push('SQLite, 1 process');
  }
  if (DATABASES.includes('mariadb')) {
    setups.push('MariaDB, 1 process');
    if (REDIS) {
      setups.push('MariaDB, 2 processes + Redis');
    }
  }
  const dirty = git('status', '--porcelain', '--', 'src');
  const result: FanoutResult = {
    name: OUT,
    date: new Date().toISOString(),
    command: `npx ts-node -T bench/fanout.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineLine(),
    loadAverageAtStart: loadavg(),
    app: {
      commit: git('rev-parse', 'HEAD'),
      uncommittedSrcFiles: dirty === null ? null : dirty.split('\n').filter(Boolean).length,
      builtAt: statSync(join(ROOT, 'dist/main.js')).mtime.toISOString(),
    },
    settings: {
      followers: FOLLOWERS,
      repeat: REPEAT,
      batch: fanoutBatch,
      timeoutSeconds: TIMEOUT_MS / 1000,
      streamsPerLoadProcess: PER_LOAD_PROCESS,
    },
    setups: [],
  };
  for (const setup of setups) {
    log(`${setup}, ${FOLLOWERS} followers:`);
    result.setups.push(await runSetup(setup));
  }
  writeResults(result);
}

async function cleanUp(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    await c().catch(() => undefined);
  }
}

if (process.argv.includes('--load-client')) {
  runLoadClient();
} else {
  process.once('SIGINT', () => {
    void cleanUp().then(() => process.exit(130));
  });
  // A stray rejection would end this process at once and leave the app processes running.
  process.once('unhandledRejection', (error: unknown) => {
    console.error(error);
    void cleanUp().then(() => process.exit(1));
  });
  void main().catch(async (error: unknown) => {
    console.error(error);
    await cleanUp();
    process.exitCode = 1;
  });
}
