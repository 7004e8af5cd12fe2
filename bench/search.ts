/**
 * `npx ts-node -T bench/search.ts [--posts=1000000] [--databases=sqlite,mariadb] [--quick]`
 * (or `npm run bench:search -- ...`): full-text search of posts (src/search/) as the posts table
 * grows from 10^4 to --posts (10^6 by default, each size ten times the last).
 *
 * Each database is a scratch one built by the real migrations and dropped afterwards (SQLite in
 * a temp file, MariaDB/MySQL on TEST_MYSQL_URL), seeded by bench/seed.ts as bench/timeline.ts
 * is: 10^4 users, the viewer blocking 20 of the most prolific authors, and posts of 6 to 18
 * words drawn from a vocabulary with Zipf frequencies (exponent 1): English, Spanish and Russian
 * words at the top (stopwords first, as in real text), then 20,000 made-up words, so a word's
 * rank decides how many posts hold it. The posts go in through the app's own index writers (the
 * FTS5 triggers, the InnoDB FULLTEXT index). MariaDB gets ANALYZE TABLE after each step.
 *
 * For each query (a rare word, a middling one, a common one, a very common one, two common
 * ones, Cyrillic ones, a stopword with a word, junk with operators; and the common one with
 * every match ranked, what the cap of SEARCH_CANDIDATES_MAX saves) at every size: the app's
 * own engine call (Fts5PostSearch / InnodbPostSearch.search, as SearchService makes it, after
 * parseSearchQuery), first page and a deep page (offset 250), 26 rows; p50/p99/max over --runs
 * runs (100 by default, or as many as fit in 5 s when a query is slow); how many posts match;
 * and the plan (SQLite `EXPLAIN QUERY PLAN`, MariaDB `EXPLAIN`).
 *
 * Prints a markdown table to stdout (progress goes to stderr) and writes
 * bench/results/<--name or search>.{json,md}. --quick: up to 10^4 posts and 10 runs, into
 * search-quick.{json,md}. --render: only the markdown again, from the saved JSON.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Fts5PostSearch, fts5SearchStatement } from '../src/search/fts5-post-search';
import {
  InnodbPostSearch,
  innodbSearchStatement,
  SEARCH_TIME_LIMIT_MS,
} from '../src/search/innodb-post-search';
import { PostSearchEngine, SEARCH_CANDIDATES_MAX } from '../src/search/post-search-engine';
import { fts5Match, innodbBooleanMatch, parseSearchQuery } from '../src/search/search-query';
import { latencies, Latencies, now, option } from './lib';
import { Dialect, insertRows, label, log, openTarget, random, stamp, Target } from './seed';

const QUICK = process.argv.includes('--quick');
const LARGEST = Number(option('posts') ?? (QUICK ? 1e4 : 1e6));
const SIZES = [1e4, 1e5, 1e6].filter((size) => size < LARGEST).concat(LARGEST);
const DATABASES = (option('databases') ?? 'sqlite,mariadb').split(',');
const RUNS = Number(option('runs') ?? (QUICK ? 10 : 100));
const WARMUP = 3;
/** A query whose runs are slow gets as many as fit in this time (and a tenth of it to warm up). */
const BUDGET_MS = 5_000;
const NAME = option('name') ?? (QUICK ? 'search-quick' : 'search');

const USERS = 10_000;
const BLOCKED_BY_VIEWER = 20;
const VIEWER = 1;
const PAGE = 26;
const DEEP_OFFSET = 250;
/** Posts per transaction. */
const CHUNK = 50_000;
const EPOCH = Date.UTC(2025, 0, 1);
const POST_EVERY = 30_000;
const MIN_WORDS = 6;
const MAX_WORDS = 18;
const MADE_UP_WORDS = 20_000;

// ---------------------------------------------------------------------------------------------
// The vocabulary: real words first, most frequent first, languages interleaved.

const STOPWORDS = ['the', 'de', 'и', 'a', 'la', 'в', 'and', 'que', 'не', 'to', 'el', 'на', 'of'];
const ENGLISH =
  'day time people world life good new work home love friend city music coffee morning night today week year game team book movie food water weather rain sun street school story idea news photo video market train travel dog cat garden summer winter spring family party happy tired great small big little old young quick slow bright dark green blue red river mountain ocean beach forest bread cheese apple banana lemon soup tea bike car bus office meeting project code bug release server database search cloud phone laptop screen window door kitchen dinner lunch breakfast weekend holiday birthday concert museum library park bridge island village country history future question answer problem reason moment minute hour'.split(
    ' ',
  );
const SPANISH =
  'hola mundo día noche casa amigo ciudad trabajo tiempo canción año niño mañana café playa calle libro película comida agua lluvia sol tren viaje perro gato jardín verano invierno familia fiesta feliz cansado grande pequeño viejo rápido verde azul río montaña mar bosque pan queso manzana sopa coche oficina reunión proyecto semana música corazón pregunta respuesta historia pueblo'.split(
    ' ',
  );
const RUSSIAN =
  'привет мир день ночь дом друг город работа время песня год утро кофе улица книга фильм еда вода дождь солнце поезд путешествие собака кошка сад лето зима весна осень семья праздник счастливый большой маленький старый новый быстрый зелёный синий река гора море лес хлеб сыр яблоко суп чай машина офис встреча проект неделя музыка сердце вопрос ответ история ёлка деревня'.split(
    ' ',
  );

function vocabulary(): string[] {
  const words = [...STOPWORDS];
  for (let i = 0; i < Math.max(ENGLISH.length, SPANISH.length, RUSSIAN.length); i++) {
    words.push(...[ENGLISH[i], SPANISH[i], RUSSIAN[i]].filter((w) => w !== undefined));
  }
  const rng = random(7);
  const latin = ['ka', 'lo', 'mi', 'ran', 'te', 'vo', 'zu', 'bel', 'dor', 'fi', 'gra', 'sul'];
  const cyrillic = ['ка', 'ло', 'ми', 'ран', 'те', 'во', 'зу', 'бел', 'дор', 'фи', 'гра', 'сул'];
  const seen = new Set(words);
  while (seen.size < words.length + MADE_UP_WORDS) {
    const syllables = rng() < 0.2 ? cyrillic : latin;
    const length = 2 + Math.floor(rng() * 3);
    const word = Array.from({ length }, () => syllables[Math.floor(rng() * syllables.length)]).join(
      '',
    );
    seen.add(word);
  }
  return [...seen];
}

/** Picks a word's rank with probability 1/rank (Zipf, exponent 1). */
function zipf(size: number, rng: () => number): () => number {
  const cumulative = new Float64Array(size);
  let sum = 0;
  for (let rank = 0; rank < size; rank++) {
    sum += 1 / (rank + 1);
    cumulative[rank] = sum;
  }
  return () => {
    const target = rng() * sum;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
}

const WORDS = vocabulary();

/** A post: MIN_WORDS..MAX_WORDS words, a capital, some punctuation, at most 140 characters. */
function body(pick: () => number, rng: () => number): string {
  const count = MIN_WORDS + Math.floor(rng() * (MAX_WORDS - MIN_WORDS + 1));
  let text = '';
  for (let i = 0; i < count; i++) {
    const word = WORDS[pick()];
    const next = text === '' ? word[0].toUpperCase() + word.slice(1) : `${text} ${word}`;
    if ([...next].length > 138) {
      break;
    }
    text = next;
  }
  return text + (rng() < 0.3 ? '!' : '.');
}

// ---------------------------------------------------------------------------------------------
// Seeding

async function seedUsers(target: Target): Promise<number[]> {
  const created = stamp(EPOCH - 400 * 86_400_000);
  const rows = Array.from({ length: USERS }, (_, i) => [
    `user${i + 1}`,
    `user${i + 1}@example.com`,
    'x',
    created,
    created,
  ]);
  await target.db.transaction((m) =>
    insertRows(m, 'users', ['username', 'email', 'password_hash', 'created_at', 'last_seen'], rows),
  );
  // Authors by activity: a post's author is drawn with a skew over this order.
  const rng = random(11);
  const authors = Array.from({ length: USERS }, (_, i) => i + 1);
  for (let i = authors.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [authors[i], authors[j]] = [authors[j], authors[i]];
  }
  const blocked = authors.filter((id) => id !== VIEWER).slice(0, BLOCKED_BY_VIEWER);
  await insertRows(
    target.db.manager,
    'blocks',
    ['blocker_id', 'blocked_id', 'created_at'],
    blocked.map((id) => [VIEWER, id, stamp(EPOCH)]),
  );
  return authors;
}

async function growPosts(
  target: Target,
  from: number,
  to: number,
  authors: number[],
  rng: () => number,
  pick: () => number,
): Promise<void> {
  const started = now();
  for (let start = from; start < to; start += CHUNK) {
    const end = Math.min(to, start + CHUNK);
    const rows: unknown[][] = [];
    for (let id = start + 1; id <= end; id++) {
      const author = authors[Math.floor(rng() ** 2 * USERS)];
      rows.push([id, author, body(pick, rng), stamp(EPOCH + id * POST_EVERY)]);
    }
    await target.db.transaction((m) =>
      insertRows(m, 'posts', ['id', 'author_id', 'body', 'timestamp'], rows),
    );
    const rate = (end - from) / ((now() - started) / 1000);
    log(`[${target.dialect}] posts ${end.toLocaleString('en-US')} (${rate.toFixed(0)}/s)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

interface QueryCase {
  name: string;
  q: string;
  /** Ranks every match instead of the newest SEARCH_CANDIDATES_MAX: what the cap saves. */
  uncapped?: boolean;
}

/** More candidates than any size has posts. */
const EVERY_MATCH = 1_000_000_000;

/** Words by their rank in the vocabulary, so each query's frequency is known in advance. */
const QUERIES: QueryCase[] = [
  { name: 'rare word', q: WORDS[8_000] },
  { name: 'middling word', q: WORDS[100] },
  { name: 'common word', q: 'day' },
  { name: 'common word, every match ranked', q: 'day', uncapped: true },
  { name: 'very common word', q: 'and' },
  { name: 'two common words', q: 'day time' },
  { name: 'Cyrillic, common', q: 'ПРИВЕТ' },
  { name: 'Cyrillic, two words', q: 'Привет, мир!' },
  { name: 'Cyrillic, middling', q: 'ёлка' },
  { name: 'stopword and a word', q: 'the music' },
  { name: 'junk with operators', q: '"day* -(NEAR AND' },
];

interface QueryResult extends Latencies {
  query: string;
  q: string;
  page: 'first' | 'deep';
  /** Posts that hold every term (all authors), or 0 when nothing is searched. */
  matches: number;
  /** Ids returned (at most 26). */
  rows: number;
  /** The terms the engine searched (InnoDB leaves out stopwords and short words). */
  terms: string[];
  /** Runs that hit the engine's time limit (InnoDB), of `count`. */
  tooBroad: number;
  plan: string[];
}

async function matchCount(target: Target, terms: string[]): Promise<number> {
  if (terms.length === 0) {
    return 0;
  }
  const [{ n }]: { n: number | string }[] =
    target.dialect === 'sqlite'
      ? await target.db.query('SELECT COUNT(*) AS n FROM posts_fts WHERE posts_fts MATCH ?', [
          fts5Match(terms),
        ])
      : await target.db.query(
          'SELECT COUNT(*) AS n FROM posts WHERE MATCH (body) AGAINST (? IN BOOLEAN MODE)',
          [innodbBooleanMatch(terms)],
        );
  return Number(n);
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

async function plan(
  target: Target,
  terms: string[],
  offset: number,
  candidates: number,
): Promise<string[]> {
  if (terms.length === 0) {
    return ['(no terms: no statement)'];
  }
  const window = { offset, limit: PAGE };
  if (target.dialect === 'sqlite') {
    const [sql, params] = fts5SearchStatement(terms, VIEWER, window, candidates);
    const rows: { detail: string }[] = await target.db.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    return rows.map((r) => r.detail);
  }
  // EXPLAIN takes no SET STATEMENT: the statement without its time limit.
  const [sql, params] = innodbSearchStatement(terms, VIEWER, window, {
    candidates,
    timeLimitMs: null,
  });
  const rows: ExplainRow[] = await target.db.query(`EXPLAIN ${sql}`, params);
  return rows.map(
    (r) =>
      `${r.id} ${r.select_type} ${r.table}: ${r.type} on ${r.key ?? '-'} (~${r.rows} rows${r.Extra ? `, ${r.Extra}` : ''})`,
  );
}

async function measure(
  target: Target,
  engine: PostSearchEngine,
  query: QueryCase,
  page: 'first' | 'deep',
): Promise<QueryResult> {
  const offset = page === 'first' ? 0 : DEEP_OFFSET;
  const window = { offset, limit: PAGE };
  // What SearchService does: the query's words, then the engine.
  const run = () => engine.search(parseSearchQuery(query.q).terms, VIEWER, window);
  const first = await run();
  const warm = now() + BUDGET_MS / 10;
  for (let i = 0; i < WARMUP && now() < warm; i++) {
    await run();
  }
  const times: number[] = [];
  let tooBroad = 0;
  const budget = now() + BUDGET_MS;
  while (times.length < RUNS && (times.length === 0 || now() < budget)) {
    const started = now();
    tooBroad += (await run()).tooBroad ? 1 : 0;
    times.push(now() - started);
  }
  return {
    query: query.name,
    q: query.q,
    page,
    matches: await matchCount(target, first.terms),
    rows: first.ids.length,
    terms: first.terms,
    tooBroad,
    plan: await plan(
      target,
      first.terms,
      offset,
      query.uncapped ? EVERY_MATCH : SEARCH_CANDIDATES_MAX,
    ),
    ...latencies(times),
  };
}

// ---------------------------------------------------------------------------------------------
// One database, all sizes

interface SizeResult {
  posts: number;
  seedSeconds: number;
  /** The index's size on disk, MB: FTS5's tables, or InnoDB's FTS_* tablespaces. */
  indexMb: number | null;
  loadAverage: number;
  queries: QueryResult[];
}

interface DatabaseResult {
  dialect: Dialect;
  version: string;
  sizes: SizeResult[];
}

async function indexSize(target: Target): Promise<number | null> {
  try {
    const [{ bytes }]: { bytes: number | string | null }[] =
      target.dialect === 'sqlite'
        ? await target.db.query(
            "SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name LIKE 'posts_fts%'",
          )
        : await target.db.query(
            `SELECT SUM(FILE_SIZE) AS bytes FROM information_schema.INNODB_SYS_TABLESPACES
             WHERE NAME LIKE CONCAT(DATABASE(), '/FTS\\_%')`,
          );
    return bytes === null ? null : Number(bytes) / 1e6;
  } catch {
    return null;
  }
}

async function benchDatabase(
  dialect: Dialect,
  measured: (result: DatabaseResult) => void,
): Promise<void> {
  const target = await openTarget(dialect, 'search-bench-');
  const engine =
    dialect === 'sqlite' ? new Fts5PostSearch(target.db) : new InnodbPostSearch(target.db);
  const uncapped =
    dialect === 'sqlite'
      ? new Fts5PostSearch(target.db, EVERY_MATCH)
      : new InnodbPostSearch(target.db, { candidates: EVERY_MATCH });
  const result: DatabaseResult = { dialect, version: target.version, sizes: [] };
  try {
    log(`[${dialect}] ${target.version}: users and blocks`);
    const authors = await seedUsers(target);
    const rng = random(2);
    const pick = zipf(WORDS.length, random(5));
    let stored = 0;
    for (const size of SIZES) {
      const started = now();
      await growPosts(target, stored, size, authors, rng, pick);
      await target.analyze();
      stored = size;
      const seedSeconds = (now() - started) / 1000;
      log(`[${dialect}] ${label(size)} posts: measuring`);
      const queries: QueryResult[] = [];
      for (const query of QUERIES) {
        for (const page of ['first', 'deep'] as const) {
          queries.push(await measure(target, query.uncapped ? uncapped : engine, query, page));
        }
      }
      result.sizes.push({
        posts: size,
        seedSeconds,
        indexMb: await indexSize(target),
        loadAverage: loadavg()[0],
        queries,
      });
      measured(result);
    }
  } finally {
    await target.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const count = (n: number) => n.toLocaleString('en-US');

function databaseSection(r: DatabaseResult, runs: number): string[] {
  const last = r.sizes[r.sizes.length - 1];
  const rows = last.queries.map((query, i) => {
    const cells = r.sizes.map((s) => {
      const x = s.queries[i];
      const few = x.count < runs ? ` (${x.count} runs)` : '';
      const gaveUp = x.tooBroad ? `, **${x.tooBroad} gave up**` : '';
      return `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)}${few}${gaveUp}`;
    });
    const matches = r.sizes.map((s) => count(s.queries[i].matches)).join(' / ');
    const name = query.page === 'first' ? query.query : `${query.query}, deep`;
    const terms = query.terms.length ? query.terms.join(' ') : '(none)';
    return `| ${name} | \`${query.q.replace(/\|/g, '\\|')}\` → ${terms} | ${cells.join(' | ')} | ${matches} |`;
  });
  const dataRow = (what: string, value: (s: SizeResult) => string) =>
    `| ${what} | ${r.sizes.map(value).join(' | ')} |`;
  return [
    `## ${r.version}`,
    '',
    'ms per call, p50 / p99 / max ("gave up": runs stopped by the time limit, answered as too ' +
      'broad); "matches": posts holding every term searched, at each size (only the newest ' +
      `${count(SEARCH_CANDIDATES_MAX)} are ranked).`,
    '',
    `| query | typed → searched | ${r.sizes.map((s) => `${label(s.posts)} posts`).join(' | ')} | matches |`,
    `| --- | --- | ${r.sizes.map(() => '---:').join(' | ')} | ---: |`,
    ...rows,
    '',
    `| data | ${r.sizes.map((s) => label(s.posts)).join(' | ')} |`,
    `| --- | ${r.sizes.map(() => '---:').join(' | ')} |`,
    dataRow('seeding this step, s', (s) => s.seedSeconds.toFixed(0)),
    dataRow('index on disk, MB', (s) => (s.indexMb === null ? '?' : s.indexMb.toFixed(1))),
    dataRow('load average after measuring', (s) => s.loadAverage.toFixed(1)),
    '',
  ];
}

function plansSection(r: DatabaseResult): string[] {
  const last = r.sizes[r.sizes.length - 1];
  const distinct = new Map<string, string[]>();
  for (const query of last.queries) {
    const key = query.plan.join('\n');
    const name = `${query.query}${query.page === 'deep' ? ', deep' : ''}`;
    distinct.set(key, [...(distinct.get(key) ?? []), name]);
  }
  return [
    `### ${r.version}: plans at ${label(last.posts)} posts`,
    '',
    ...[...distinct].flatMap(([lines, names]) => [
      `- ${names.join('; ')}:`,
      '',
      '  ```',
      ...lines.split('\n').map((l) => `  ${l}`),
      '  ```',
    ]),
    '',
  ];
}

interface Saved {
  date: string;
  settings: typeof SETTINGS;
  results: DatabaseResult[];
}

const SETTINGS = {
  sizes: SIZES,
  users: USERS,
  vocabulary: WORDS.length,
  wordsPerPost: [MIN_WORDS, MAX_WORDS],
  blockedByViewer: BLOCKED_BY_VIEWER,
  runs: RUNS,
  warmup: WARMUP,
  budgetSeconds: BUDGET_MS / 1000,
  page: PAGE,
  deepOffset: DEEP_OFFSET,
  candidatesMax: SEARCH_CANDIDATES_MAX,
  timeLimitSeconds: SEARCH_TIME_LIMIT_MS / 1000,
};

function report({ date, settings: x, results }: Saved): string[] {
  return [
    `# Search of posts as posts grow (${date})`,
    '',
    `${count(x.users)} users; posts of ${x.wordsPerPost[0]}-${x.wordsPerPost[1]} words drawn ` +
      `with Zipf frequencies from ${count(x.vocabulary)} words (English, Spanish and Russian ` +
      `first, stopwords at the top, then made-up words); the viewer blocked ` +
      `${x.blockedByViewer} of the most prolific authors. Each figure is the app's engine call ` +
      `(parseSearchQuery, then Fts5PostSearch / InnodbPostSearch.search, as SearchService ` +
      `makes it) for ${x.page} ids; "deep" is offset ${x.deepOffset}. ${x.runs} runs after ` +
      `${x.warmup} warm-up runs, fewer when a query's runs take more than ${x.budgetSeconds} s. ` +
      `Loading the 25 posts of a page by id afterwards is not included (a primary-key read). ` +
      `Only the newest ${count(x.candidatesMax)} matches are ranked; MariaDB statements stop ` +
      `after ${x.timeLimitSeconds} s (max_statement_time) and the page says the search is too ` +
      `broad.`,
    '',
    ...results.flatMap((r) => databaseSection(r, x.runs)),
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

function render(): string[] {
  const saved = JSON.parse(readFileSync(resultFile('json'), 'utf8')) as Saved;
  return save({ ...saved, settings: { ...SETTINGS, ...saved.settings } });
}

async function measureAll(): Promise<string[]> {
  log(`sizes ${SIZES.map(label).join(', ')}; databases ${DATABASES.join(', ')}; ${RUNS} runs`);
  const saved: Saved = { date: new Date().toISOString(), settings: SETTINGS, results: [] };
  for (const dialect of DATABASES) {
    if (dialect !== 'sqlite' && dialect !== 'mariadb') {
      throw new Error(`Unknown database "${dialect}": use sqlite and/or mariadb`);
    }
    const slot = saved.results.length;
    await benchDatabase(dialect, (result) => {
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

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
