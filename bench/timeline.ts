/**
 * `npx ts-node -T bench/timeline.ts [--posts=1000000] [--databases=sqlite,mariadb] [--quick]`
 * (or `npm run bench:timeline -- ...`): the home, explore and profile timelines the app builds
 * (src/posts/timelines.ts) and the notification center page, as the posts table grows from
 * 10^3 to --posts (10^6 by default, each size ten times the last).
 *
 * Each database is a scratch one built by the real migrations and dropped afterwards: SQLite
 * in a temp file, MariaDB/MySQL on TEST_MYSQL_URL (127.0.0.1:3306, root). The data: 10^4
 * users; 10^5 follows, skewed (sample users follow exactly 10, 100 and 1,000 people, the rest
 * follow 10 to 1,000 each, most of them few, until the total is reached); posts spread over
 * time and over authors with a skew; every post's home-timeline rows (its author and each
 * follower), as the app's delivery writes them; 10^5 notification groups for one user and a
 * few for everyone else. MariaDB gets ANALYZE TABLE after each step; SQLite gets none, as in
 * the app, which never runs ANALYZE.
 *
 * At every size, for each page (first page and a deep page at offset 250, 26 rows each): the
 * time of the app's own call (`getMany()` / `find()`, p50/p99/max over --runs runs, 200 by
 * default, or as many as fit in 30 s when a page is slow) and the plan (SQLite `EXPLAIN QUERY
 * PLAN`, MariaDB `EXPLAIN`): which index the page reads, and whether it sorts (a temp B-tree,
 * `Using filesort`, `Using temporary`).
 *
 * Prints a markdown table to stdout (progress goes to stderr) and writes
 * bench/results/<--name or timeline>.{json,md}. --quick: up to 10^4 posts, 10^4 notification
 * groups and 20 runs, into timeline-quick.{json,md}. --render: only the markdown again, from
 * the saved JSON. Figures only; nothing passes or fails.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  DataSource,
  EntityManager,
  FindManyOptions,
  ObjectLiteral,
  SelectQueryBuilder,
} from 'typeorm';
import {
  NotificationGroup,
  NotificationKind,
} from '../src/notifications/notification-group.entity';
import { exploreQuery, homeTimelineQuery, profileQuery } from '../src/posts/timelines';
import { latencies, Latencies, now, option } from './lib';
import { Dialect, insertRows, label, log, openTarget, random, stamp, Target } from './seed';

const QUICK = process.argv.includes('--quick');
const LARGEST = Number(option('posts') ?? (QUICK ? 1e4 : 1e6));
const SIZES = [1e3, 1e4, 1e5, 1e6].filter((size) => size < LARGEST).concat(LARGEST);
const DATABASES = (option('databases') ?? 'sqlite,mariadb').split(',');
const RUNS = Number(option('runs') ?? (QUICK ? 20 : 200));
const WARMUP = 5;
/** A page whose runs are slow gets as many as fit in this time (and a tenth of it to warm up). */
const BUDGET_MS = 30_000;
const NAME = option('name') ?? (QUICK ? 'timeline-quick' : 'timeline');

const USERS = 10_000;
const FOLLOWS = 100_000;
const MIN_FOLLOWING = 10;
const MAX_FOLLOWING = 1_000;
const SAMPLE_FOLLOWING = [10, 100, 1_000];
const NOTIFICATIONS_FOR_ONE = QUICK ? 10_000 : 100_000;
const NOTIFICATIONS_PER_OTHER = 5;
const BLOCKED_BY_VIEWER = 20;

const PAGE = 26;
const DEEP_OFFSET = 250;
/** Posts per transaction, with their timeline rows (about 11 a post). */
const CHUNK = 100_000;
/** Posts start here, one every POST_EVERY ms on average: 10^6 posts span about a year. */
const EPOCH = Date.UTC(2025, 0, 1);
const POST_EVERY = 30_000;

/** What a run measured with, saved beside its figures. */
const SETTINGS = {
  sizes: SIZES,
  users: USERS,
  follows: FOLLOWS,
  minFollowing: MIN_FOLLOWING,
  maxFollowing: MAX_FOLLOWING,
  sampleFollowing: SAMPLE_FOLLOWING,
  notificationsForOne: NOTIFICATIONS_FOR_ONE,
  postEverySeconds: POST_EVERY / 1000,
  runs: RUNS,
  warmup: WARMUP,
  budgetSeconds: BUDGET_MS / 1000,
  page: PAGE,
  deepOffset: DEEP_OFFSET,
};
type Settings = typeof SETTINGS;

function shuffled(ids: number[], rng: () => number): number[] {
  const out = [...ids];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The social graph

interface Graph {
  /** [follower, followed, created_at] */
  follows: [number, number, string][];
  /** The users who follow exactly SAMPLE_FOLLOWING people. */
  samples: { following: number; userId: number }[];
  /** Authors from the most prolific down: a post's author is picked with a skew over these. */
  authorsByActivity: number[];
  /** Users who follow anybody. */
  followingUsers: number;
}

/** Pareto (alpha 2) between MIN and MAX: most follow few, some follow many; mean about 20. */
const followingCount = (rng: () => number) =>
  Math.min(MAX_FOLLOWING, Math.floor(MIN_FOLLOWING / Math.sqrt(1 - rng())));

/** `count` distinct users for `follower` to follow, the popular ones far more often. */
function followedBy(follower: number, count: number, popular: number[], rng: () => number) {
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < count; tries++) {
    // Past a long tail of repeats, fall back to uniform picks to finish the set.
    const skew = tries < 50 * count ? 3 : 1;
    const followed = popular[Math.floor(rng() ** skew * popular.length)];
    if (followed !== follower) {
      chosen.add(followed);
    }
  }
  return [...chosen];
}

function buildGraph(): Graph {
  const rng = random(1);
  const ids = Array.from({ length: USERS }, (_, i) => i + 1);
  const popular = shuffled(ids, rng);
  const authorsByActivity = shuffled(ids, rng);
  const samples = SAMPLE_FOLLOWING.map((following, i) => ({ following, userId: i + 1 }));
  const plan = samples.map((s) => [s.userId, s.following]);
  let total = SAMPLE_FOLLOWING.reduce((sum, n) => sum + n, 0);
  for (let userId = samples.length + 1; userId <= USERS && total < FOLLOWS; userId++) {
    const count = Math.min(followingCount(rng), FOLLOWS - total);
    plan.push([userId, count]);
    total += count;
  }
  const follows: Graph['follows'] = [];
  for (const [follower, count] of plan) {
    for (const followed of followedBy(follower, count, popular, rng)) {
      follows.push([follower, followed, stamp(EPOCH - rng() * 365 * 86_400_000)]);
    }
  }
  return { follows, samples, authorsByActivity, followingUsers: plan.length };
}

// ---------------------------------------------------------------------------------------------
// Seeding

async function seedUsersAndFollows(db: DataSource, graph: Graph): Promise<void> {
  const created = stamp(EPOCH - 400 * 86_400_000);
  const users = Array.from({ length: USERS }, (_, i) => [
    `user${i + 1}`,
    `user${i + 1}@example.com`,
    'x',
    created,
    created,
  ]);
  await db.transaction(async (m) => {
    await insertRows(
      m,
      'users',
      ['username', 'email', 'password_hash', 'created_at', 'last_seen'],
      users,
    );
    await insertRows(m, 'follows', ['follower_id', 'followed_id', 'created_at'], graph.follows);
    await m.query(`UPDATE users SET
      following_count = (SELECT COUNT(*) FROM follows f WHERE f.follower_id = users.id),
      followers_count = (SELECT COUNT(*) FROM follows f WHERE f.followed_id = users.id)`);
  });
}

/** The explore viewer blocks some of the most prolific authors, so the NOT EXISTS has work. */
async function seedBlocks(db: DataSource, viewer: number, graph: Graph): Promise<void> {
  const blocked = graph.authorsByActivity.filter((id) => id !== viewer).slice(0, BLOCKED_BY_VIEWER);
  await insertRows(
    db.manager,
    'blocks',
    ['blocker_id', 'blocked_id', 'created_at'],
    blocked.map((id) => [viewer, id, stamp(EPOCH)]),
  );
}

const KINDS = [NotificationKind.Follow, NotificationKind.Message, NotificationKind.Announcement];

function notificationRow(userId: number, i: number, rng: () => number): unknown[] {
  const kind = KINDS[i % KINDS.length];
  return [
    userId,
    kind,
    `${kind}:${i}`,
    1 + Math.floor(rng() * 5),
    JSON.stringify([1 + (i % USERS), 1 + ((i * 7) % USERS)]),
    kind === NotificationKind.Announcement ? `Announcement ${i}` : null,
    stamp(EPOCH + rng() * 365 * 86_400_000),
  ];
}

/** NOTIFICATIONS_FOR_ONE groups for `target`, NOTIFICATIONS_PER_OTHER for everyone else. */
async function seedNotifications(db: DataSource, target: number): Promise<void> {
  const rng = random(3);
  const columns = ['user_id', 'kind', 'group_key', 'count', 'actor_ids', 'text', 'latest_at'];
  const chunk = 50_000;
  for (let from = 0; from < NOTIFICATIONS_FOR_ONE; from += chunk) {
    const rows: unknown[][] = [];
    for (let i = from; i < Math.min(NOTIFICATIONS_FOR_ONE, from + chunk); i++) {
      rows.push(notificationRow(target, i, rng));
    }
    await db.transaction((m) => insertRows(m, 'notification_groups', columns, rows));
  }
  const others: unknown[][] = [];
  for (let userId = 1; userId <= USERS; userId++) {
    for (let i = 0; userId !== target && i < NOTIFICATIONS_PER_OTHER; i++) {
      others.push(notificationRow(userId, i, rng));
    }
  }
  await db.transaction((m) => insertRows(m, 'notification_groups', columns, others));
}

/**
 * Every post's home-timeline rows: one for its author, one for each follower. In user order, so
 * each user's stretch of every index is written once per chunk, not once per row.
 */
const DELIVER = `
  INSERT INTO timeline_entries (user_id, post_id, author_id, timestamp)
  SELECT user_id, post_id, author_id, timestamp FROM (
    SELECT p.author_id AS user_id, p.id AS post_id, p.author_id, p.timestamp
    FROM posts p WHERE p.id BETWEEN ? AND ?
    UNION ALL
    SELECT f.follower_id, p.id, p.author_id, p.timestamp
    FROM posts p JOIN follows f ON f.followed_id = p.author_id
    WHERE p.id BETWEEN ? AND ?
  ) delivered
  ORDER BY user_id, post_id`;

/** Posts with ids from+1..to (id order is roughly time order, with some jitter). */
function postRows(from: number, to: number, graph: Graph, rng: () => number): unknown[][] {
  const rows: unknown[][] = [];
  for (let id = from + 1; id <= to; id++) {
    const author = graph.authorsByActivity[Math.floor(rng() ** 2 * USERS)];
    const at = EPOCH + id * POST_EVERY + rng() * 20 * POST_EVERY;
    rows.push([
      id,
      author,
      `Post ${id}: a line of text about the day, long as a post is.`,
      stamp(at),
    ]);
  }
  return rows;
}

async function growPosts(
  db: DataSource,
  from: number,
  to: number,
  graph: Graph,
  rng: () => number,
  tag: string,
): Promise<void> {
  const started = now();
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(to, start + CHUNK);
    await db.transaction(async (m) => {
      await insertRows(
        m,
        'posts',
        ['id', 'author_id', 'body', 'timestamp'],
        postRows(start, end, graph, rng),
      );
      await m.query(DELIVER, [start + 1, end, start + 1, end]);
    });
    const rate = (end - from) / ((now() - started) / 1000);
    log(
      `[${tag}] posts ${end.toLocaleString('en-US')}/${to.toLocaleString('en-US')} (${rate.toFixed(0)}/s)`,
    );
  }
  await db.query(
    'UPDATE users SET posts_count = (SELECT COUNT(*) FROM posts p WHERE p.author_id = users.id)',
  );
}

// ---------------------------------------------------------------------------------------------
// Plans

interface Plan {
  lines: string[];
  /** The page's table is read through the intended index. */
  usesIndex: boolean;
  /** How: SQLite SEARCH (range) / SCAN; MariaDB's access type (ref, range, index, ...). */
  access: string;
  /** A temp B-tree (SQLite) or `Using filesort` / `Using temporary` (MariaDB) anywhere. */
  sorts: boolean;
}

type Query = [string, unknown[]];

async function sqlitePlan(db: DataSource, [sql, params]: Query, alias: string, index: string) {
  const rows: { detail: string }[] = await db.query(`EXPLAIN QUERY PLAN ${sql}`, params);
  const lines = rows.map((r) => r.detail);
  const own = new RegExp(`^(SEARCH|SCAN) ${alias} USING (COVERING )?INDEX ${index}\\b`);
  const line = lines.find((l) => own.test(l));
  return {
    lines,
    usesIndex: line !== undefined,
    access: line?.startsWith('SEARCH') ? 'range' : line ? 'scan' : '-',
    sorts: lines.some((l) => l.includes('TEMP B-TREE')),
  };
}

interface ExplainRow {
  id: number;
  select_type: string;
  table: string;
  type: string;
  key: string | null;
  rows: number | string;
  Extra: string | null;
}

async function mariadbPlan(db: DataSource, [sql, params]: Query, alias: string, index: string) {
  const rows: ExplainRow[] = await db.query(`EXPLAIN ${sql}`, params);
  const lines = rows.map(
    (r) =>
      `${r.id} ${r.select_type} ${r.table}: ${r.type} on ${r.key ?? '-'} (~${r.rows} rows${r.Extra ? `, ${r.Extra}` : ''})`,
  );
  const own = rows.find((r) => r.table === alias);
  return {
    lines,
    usesIndex: own?.key === index,
    access: own?.type ?? '-',
    sorts: rows.some((r) => /filesort|temporary/i.test(r.Extra ?? '')),
  };
}

function explain(target: Target, query: Query, alias: string, index: string): Promise<Plan> {
  return target.dialect === 'sqlite'
    ? sqlitePlan(target.db, query, alias, index)
    : mariadbPlan(target.db, query, alias, index);
}

const verdict = (plan: Plan, index: string) =>
  (plan.usesIndex ? `${plan.access} on ${index}` : `NOT on ${index}`) +
  (plan.sorts ? ', SORTS' : ', no sort');

// ---------------------------------------------------------------------------------------------
// Pages and their measurement

interface Page {
  name: string;
  /** The alias of the table the page is read from, and the index meant to serve it. */
  alias: string;
  index: string;
  query(m: EntityManager): SelectQueryBuilder<ObjectLiteral>;
  run(m: EntityManager): Promise<unknown[]>;
}

interface Sample {
  viewer: number;
  author: number;
  notified: number;
  homes: { following: number; userId: number }[];
}

function timelinePages(
  name: string,
  alias: string,
  index: string,
  build: (m: EntityManager) => SelectQueryBuilder<ObjectLiteral>,
): Page[] {
  return [
    [name, 0],
    [`${name}, deep`, DEEP_OFFSET],
  ].map(([pageName, offset]) => {
    const query = (m: EntityManager) => build(m).offset(Number(offset)).limit(PAGE);
    return { name: String(pageName), alias, index, query, run: (m) => query(m).getMany() };
  });
}

/** The notification center's first page, exactly as the app asks for it. */
function notificationPage(userId: number): Page {
  const options: FindManyOptions<NotificationGroup> = {
    where: { userId },
    order: { latestAt: 'DESC', id: 'DESC' },
    skip: 0,
    take: PAGE,
  };
  return {
    name: 'notification center',
    alias: NotificationGroup.name,
    index: 'IDX_notification_groups_latest',
    // What EntityManager.find builds: a query builder aliased by the entity's name.
    query: (m) =>
      m.createQueryBuilder(NotificationGroup, NotificationGroup.name).setFindOptions(options),
    run: (m) => m.getRepository(NotificationGroup).find(options),
  };
}

function pages(sample: Sample): Page[] {
  return [
    ...sample.homes.flatMap(({ following, userId }) =>
      timelinePages(`home, follows ${following}`, 't', 'IDX_timeline_user_timestamp', (m) =>
        homeTimelineQuery(m, userId),
      ),
    ),
    ...timelinePages('explore', 'p', 'IDX_posts_timestamp', (m) => exploreQuery(m, sample.viewer)),
    ...timelinePages('profile', 'p', 'IDX_posts_author_timestamp', (m) =>
      profileQuery(m, sample.author),
    ),
    notificationPage(sample.notified),
  ];
}

interface PageResult extends Latencies, Plan {
  page: string;
  index: string;
  rows: number;
  verdict: string;
}

async function measure(target: Target, page: Page): Promise<PageResult> {
  const m = target.db.manager;
  const plan = await explain(target, page.query(m).getQueryAndParameters(), page.alias, page.index);
  const warm = now() + BUDGET_MS / 10;
  for (let i = 0; i < WARMUP && now() < warm; i++) {
    await page.run(m);
  }
  const times: number[] = [];
  let rows = 0;
  const budget = now() + BUDGET_MS;
  while (times.length < RUNS && (times.length === 0 || now() < budget)) {
    const started = now();
    rows = (await page.run(m)).length;
    times.push(now() - started);
  }
  return {
    page: page.name,
    index: page.index,
    rows,
    ...latencies(times),
    ...plan,
    verdict: verdict(plan, page.index),
  };
}

// ---------------------------------------------------------------------------------------------
// One database, all sizes

interface SizeResult {
  posts: number;
  timelineEntries: number;
  /** Rows in each sample user's home timeline, and the profile author's posts. */
  homeLengths: Record<string, number>;
  profilePosts: number;
  seedSeconds: number;
  /** The machine's 1-minute load average after measuring: other work skews the figures. */
  loadAverage: number;
  pages: PageResult[];
}

interface DatabaseResult {
  dialect: Dialect;
  version: string;
  followingUsers: number;
  sizes: SizeResult[];
}

async function countOf(db: DataSource, sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }]: { n: number | string }[] = await db.query(sql, params);
  return Number(n);
}

async function describeSize(
  db: DataSource,
  sample: Sample,
): Promise<Omit<SizeResult, 'pages' | 'seedSeconds' | 'loadAverage'>> {
  const homeLengths: Record<string, number> = {};
  for (const { following, userId } of sample.homes) {
    homeLengths[`follows ${following}`] = await countOf(
      db,
      'SELECT COUNT(*) AS n FROM timeline_entries WHERE user_id = ?',
      [userId],
    );
  }
  return {
    posts: await countOf(db, 'SELECT COUNT(*) AS n FROM posts'),
    timelineEntries: await countOf(db, 'SELECT COUNT(*) AS n FROM timeline_entries'),
    homeLengths,
    profilePosts: await countOf(db, 'SELECT COUNT(*) AS n FROM posts WHERE author_id = ?', [
      sample.author,
    ]),
  };
}

/** Seeds and measures one database size by size; `measured` gets the result after each size. */
async function benchDatabase(
  dialect: Dialect,
  graph: Graph,
  measured: (result: DatabaseResult) => void,
): Promise<void> {
  const target = await openTarget(dialect, 'timeline-bench-');
  const sample: Sample = {
    homes: graph.samples,
    viewer: graph.samples[1].userId,
    author: graph.authorsByActivity[0],
    notified: graph.samples[1].userId,
  };
  const result: DatabaseResult = {
    dialect,
    version: target.version,
    followingUsers: graph.followingUsers,
    sizes: [],
  };
  try {
    log(`[${dialect}] ${target.version}: users, follows, blocks, notification groups`);
    await seedUsersAndFollows(target.db, graph);
    await seedBlocks(target.db, sample.viewer, graph);
    await seedNotifications(target.db, sample.notified);
    const rng = random(2);
    let stored = 0;
    for (const size of SIZES) {
      const started = now();
      await growPosts(target.db, stored, size, graph, rng, dialect);
      await target.analyze();
      stored = size;
      const seedSeconds = (now() - started) / 1000;
      const described = await describeSize(target.db, sample);
      log(
        `[${dialect}] ${label(size)} posts, ${described.timelineEntries} timeline rows: measuring`,
      );
      const figures: PageResult[] = [];
      for (const page of pages(sample)) {
        figures.push(await measure(target, page));
      }
      result.sizes.push({ ...described, seedSeconds, loadAverage: loadavg()[0], pages: figures });
      measured(result);
    }
  } finally {
    await target.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));

/** The p50 at the largest size over the p50 at the first size where the page was full. */
function growth(r: DatabaseResult, i: number, page: number): string {
  const full = r.sizes.find((s) => s.pages[i].rows === page);
  const last = r.sizes[r.sizes.length - 1];
  return full && full !== last ? `${(last.pages[i].p50 / full.pages[i].p50).toFixed(1)}×` : '-';
}

function databaseSection(r: DatabaseResult, settings: Settings): string[] {
  const names = r.sizes[0]?.pages.map((p) => p.page) ?? [];
  const last = r.sizes[r.sizes.length - 1];
  const rows = names.map((name, i) => {
    const cells = r.sizes.map((s) => {
      const p = s.pages[i];
      const runs = p.count < settings.runs ? ` (${p.count} runs)` : '';
      return `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)}${runs}`;
    });
    const verdicts = [...new Set(r.sizes.map((s) => s.pages[i].verdict))];
    const plan =
      verdicts.length === 1
        ? verdicts[0]
        : r.sizes.map((s) => `${label(s.posts)}: ${s.pages[i].verdict}`).join('; ');
    const sizes = cells.join(' | ');
    return `| ${name} | ${sizes} | ${growth(r, i, settings.page)} | ${last.pages[i].rows} | ${plan} |`;
  });
  const dataRow = (what: string, value: (s: SizeResult) => string) =>
    `| ${what} | ${r.sizes.map(value).join(' | ')} |`;
  const count = (n: number) => n.toLocaleString('en-US');
  return [
    `## ${r.version}`,
    '',
    'ms per call, p50 / p99 / max. "p50 ×": the p50 at the largest size over the p50 at the ' +
      `first size where the page was full (${settings.page} rows). "rows": rows the page ` +
      'returned at the largest size.',
    '',
    `| page | ${r.sizes.map((s) => `${label(s.posts)} posts`).join(' | ')} | p50 × | rows | plan |`,
    `| --- | ${r.sizes.map(() => '---:').join(' | ')} | ---: | ---: | --- |`,
    ...rows,
    '',
    `| data | ${r.sizes.map((s) => label(s.posts)).join(' | ')} |`,
    `| --- | ${r.sizes.map(() => '---:').join(' | ')} |`,
    dataRow('timeline rows', (s) => count(s.timelineEntries)),
    ...Object.keys(r.sizes[0]?.homeLengths ?? {}).map((k) =>
      dataRow(`home rows, ${k}`, (s) => count(s.homeLengths[k])),
    ),
    dataRow("profile author's posts", (s) => count(s.profilePosts)),
    dataRow('seeding this step, s', (s) => s.seedSeconds.toFixed(0)),
    dataRow('load average after measuring', (s) => s.loadAverage.toFixed(1)),
    '',
  ];
}

function plansSection(r: DatabaseResult): string[] {
  const last = r.sizes[r.sizes.length - 1];
  const sorting = r.sizes.flatMap((s) =>
    s.pages.filter((p) => p.sorts || !p.usesIndex).map((p) => ({ size: s.posts, p })),
  );
  return [
    `### ${r.version}: plans at ${label(last.posts)} posts`,
    '',
    ...last.pages.flatMap((p) => [
      `- ${p.page}:`,
      '',
      '  ```',
      ...p.lines.map((l) => `  ${l}`),
      '  ```',
    ]),
    '',
    ...(sorting.length
      ? [
          `**Pages that sort or miss their index on ${r.version}:**`,
          '',
          ...sorting.flatMap(({ size, p }) => [
            `- ${p.page} at ${label(size)} posts: ${p.verdict}`,
            '',
            '  ```',
            ...p.lines.map((l) => `  ${l}`),
            '  ```',
          ]),
          '',
        ]
      : [`Every page on ${r.version} reads its index without a sort at every size.`, '']),
  ];
}

interface Saved {
  date: string;
  settings: Settings;
  results: DatabaseResult[];
}

function report({ date, settings: x, results }: Saved): string[] {
  const count = (n: number) => n.toLocaleString('en-US');
  return [
    `# Timelines as posts grow (${date})`,
    '',
    `${count(x.users)} users; ${count(x.follows)} follows by ` +
      `${count(results[0]?.followingUsers ?? 0)} users (samples follow ` +
      `${x.sampleFollowing.join(', ')}; the others ${x.minFollowing}-${x.maxFollowing}, Pareto, ` +
      `popular users followed far more); posts over authors with a skew, one every ` +
      `~${x.postEverySeconds} s; ${count(x.notificationsForOne)} notification groups for one ` +
      `user. ${x.runs} runs a page after ${x.warmup} warm-up runs (fewer when a page's runs ` +
      `take more than ${x.budgetSeconds} s), each the app's own call (getMany / find) for ` +
      `${x.page} rows; "deep" is offset ${x.deepOffset}. Plan: the access to the page's table ` +
      `through its intended index (range = an index range, scan = a scan of the index in order), ` +
      `and whether anything sorts (temp B-tree, filesort, temporary).`,
    '',
    ...results.flatMap((r) => databaseSection(r, x)),
    '## Plans',
    '',
    ...results.flatMap(plansSection),
  ];
}

const resultFile = (ext: string) => join(__dirname, 'results', `${NAME}.${ext}`);

/** Writes what is measured so far, so a run stopped half-way leaves its figures behind. */
function save(saved: Saved): string[] {
  const markdown = report(saved);
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(resultFile('json'), JSON.stringify(saved, null, 2));
  writeFileSync(resultFile('md'), markdown.join('\n') + '\n');
  return markdown;
}

/** `--render`: the markdown again from the saved figures, after a change to the report. */
function render(): string[] {
  const saved = JSON.parse(readFileSync(resultFile('json'), 'utf8')) as Saved;
  return save({ ...saved, settings: { ...SETTINGS, ...saved.settings } });
}

async function measureAll(): Promise<string[]> {
  log(`sizes ${SIZES.map(label).join(', ')}; databases ${DATABASES.join(', ')}; ${RUNS} runs`);
  const graph = buildGraph();
  log(`graph: ${graph.follows.length} follows by ${graph.followingUsers} users`);
  const saved: Saved = { date: new Date().toISOString(), settings: SETTINGS, results: [] };
  for (const dialect of DATABASES) {
    if (dialect !== 'sqlite' && dialect !== 'mariadb') {
      throw new Error(`Unknown database "${dialect}": use sqlite and/or mariadb`);
    }
    const slot = saved.results.length;
    await benchDatabase(dialect, graph, (result) => {
      saved.results[slot] = result;
      save(saved);
    });
  }
  return save(saved);
}

async function main(): Promise<void> {
  const markdown = process.argv.includes('--render') ? render() : await measureAll();
  console.log(markdown.join('\n'));
}

void main();
