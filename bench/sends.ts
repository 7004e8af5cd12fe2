/**
 * The send path measured from outside, to compare two builds of the app back to back:
 *
 *   npx ts-node -T bench/sends.ts [--app=<dir>] [--out=<name>] [--seconds=30] [--quick]
 *     [--clients=16,64] [--databases=sqlite,mariadb] [--repeat=3] [--quiet-wait=120]
 *     [--attempts=2] [--workers=1,2]
 *
 * For each database (SQLite in a temp file, MariaDB in a scratch database this script creates
 * and drops) and each client count: one fresh app process (`<dir>/dist/main.js`, started in
 * `<dir>`, default this repository; build it first), N concurrent users each posting the real
 * send form (session cookie and CSRF token, as a browser does) back to back to 8 recipients of
 * their own, a warm-up, then `--seconds` measured (5 with `--quick`). Reported per run:
 * sends/s (302 answers), latency, CPU per send of the app process and of mariadbd (from
 * /proc/<pid>/stat), and answers other than 302. The machine's other CPU use during each
 * run is recorded too, and each run first waits (up to `--quiet-wait` seconds) for the machine
 * to be idle: the figures are only comparable between quiet runs. `--repeat` rounds go over
 * all runs in turn; a run others disturbed is done again (`--attempts`, 2 in all).
 * `--workers`: runs with each WORKERS value (app processes under node:cluster, default 1); the
 * app's CPU is then the primary's and its workers' together.
 * `--profile`: every app process (the workers and the primary) runs under `--cpu-prof`; each
 * run then splits its processes' CPU over the window by stage (connect-profile.ts's STAGES),
 * µs per send, summed over the workers, with a table comparing 1 worker to more.
 * `--quick`: 5 s runs, one round, no waiting, no second attempts.
 * Writes bench/results/<--out, default sends>.{json,md}; `--report-only` rewrites the .md
 * from the .json.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { createScratchDatabase, TEST_MYSQL_URL } from '../test/utils/mysql';
import { descendantsOf } from '../test/utils/processes';
import { analyseProfile, CpuProfile } from './connect-profile';
import {
  appCookieFor,
  diagnosticsNodeArgs,
  formSession,
  latencies,
  Latencies,
  LoadProcess,
  machineLine,
  now,
  option,
  procStat,
  ROOT,
  SECRET,
  seedUsersMysql,
  seedUsersSqlite,
  Server,
  serverPort,
  sleep,
  waitForHealth,
} from './lib';

const QUICK = process.argv.includes('--quick');
const APP_DIR = resolve(option('app') ?? ROOT);
const OUT = option('out') ?? (QUICK ? 'sends-quick' : 'sends');
const SECONDS = Number(option('seconds') ?? (QUICK ? 5 : 30));
const WARM_UP_SECONDS = QUICK ? 2 : 5;
/** Rounds over all runs; the table shows each run's quietest round. */
const REPEAT = Number(option('repeat') ?? (QUICK ? 1 : 3));
/** How long a run waits for the machine to go quiet (others' tests, builds) before starting. */
const QUIET_WAIT_SECONDS = Number(option('quiet-wait') ?? (QUICK ? 0 : 120));
/**
 * "Quiet": busy cores over a 2 s sample before a run's own processes start, and, during the
 * run, the cores its processes don't explain. A run past the latter is done again, up to
 * ATTEMPTS times in all (the last attempt counts whatever it found).
 */
const QUIET_BUSY_CORES = 0.3;
const ATTEMPTS = Number(option('attempts') ?? (QUICK ? 1 : 2));
const CLIENTS = (option('clients') ?? '16,64').split(',').map(Number);
const DATABASES = (option('databases') ?? 'sqlite,mariadb').split(',') as ('sqlite' | 'mariadb')[];
const WORKER_COUNTS = (option('workers') ?? '1').split(',').map(Number);
const PROFILE = process.argv.includes('--profile');
const RECIPIENTS_PER_SENDER = 8;
/** Per-user and per-address send limits (messages per minute) far above what a run can send. */
const RATE_LIMIT_OFF = '1000000';
const CLK_TCK = 100;

interface SendRun {
  database: 'SQLite' | 'MariaDB';
  /** App processes (WORKERS); absent in results from before the option: 1. */
  workers?: number;
  clients: number;
  /** Measured window, ms (from the parent's start to the load process's answer). */
  windowMs: number;
  sends: number;
  /** Answers other than 302, or requests that failed. */
  failures: number;
  sendsPerSecond: number;
  latencyMs: Latencies;
  appCpuMsPerSend: number;
  /** Of it, the cluster primary's (relaying events, counting rate limits); absent with 1 worker. */
  primaryCpuMsPerSend?: number;
  /** With --profile: the workers' CPU by stage, µs per send, summed over the workers. */
  stagesUsPerSend?: Record<string, number>;
  mariadbCpuMsPerSend: number | null;
  loadClientCpuMsPerSend: number;
  /** Messages the database gained in the window; equals `sends` when every 302 stored one. */
  storedMessages: number | null;
  warmUpSends: number;
  /** Busy cores over the window: the whole machine, and what the app, mariadbd and load client don't explain. */
  machineBusyCores: number;
  otherBusyCores: number;
  /** MariaDB connections of other clients at the end of the window (others' tests, say). */
  otherMariadbConnections: number | null;
  loadAverageAtStart: number[];
  /** Seconds waited for a quiet machine, and its busy cores when the run started. */
  quietWaitSeconds: number;
  busyCoresBeforeRun: number;
  round: number;
}

/** Busy and total CPU seconds of the whole machine (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const ticks = fields.map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  // idle and iowait
  return { busy: (total - ticks[3] - ticks[4]) / CLK_TCK, total: total / CLK_TCK };
}

/** Waits up to QUIET_WAIT_SECONDS for the machine to be idle; returns the wait and the last sample. */
async function waitForQuiet(): Promise<{ waited: number; busyCores: number }> {
  const started = now();
  let reported = -Infinity;
  for (;;) {
    const before = machineCpu();
    await sleep(2000);
    const after = machineCpu();
    const busyCores = ((after.busy - before.busy) / (after.total - before.total)) * cpus().length;
    const waited = (now() - started) / 1000;
    if (busyCores < QUIET_BUSY_CORES || waited >= QUIET_WAIT_SECONDS) {
      if (busyCores >= QUIET_BUSY_CORES) {
        console.warn(
          `  machine still busy (${busyCores.toFixed(2)} cores) after ${waited.toFixed(0)} s: running anyway`,
        );
      }
      return { waited, busyCores };
    }
    if (waited - reported >= 30) {
      reported = waited;
      console.log(`  waiting for a quiet machine: ${busyCores.toFixed(2)} cores busy`);
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
    return execFileSync('git', ['-C', APP_DIR, ...args], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};

/** The build in APP_DIR, started there, with the send limits out of the way. */
async function startAppAt(
  databaseUrl: string,
  workers: number,
  profileDir: string | null,
): Promise<Server> {
  const port = serverPort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.REDIS_URL;
  delete env.DB_POOL_SIZE;
  // The workers inherit the primary's node arguments (node:cluster forks with execArgv).
  const profiling = profileDir
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        '--cpu-prof-interval=500',
        ...diagnosticsNodeArgs(),
      ]
    : [];
  const child = spawn(process.execPath, [...profiling, join(APP_DIR, 'dist/main.js')], {
    cwd: APP_DIR,
    env: {
      ...env,
      ...(profileDir ? { BENCH_DIAGNOSTICS_DIR: profileDir } : {}),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      LOGIN_RATE_LIMIT: RATE_LIMIT_OFF,
      REGISTER_RATE_LIMIT: RATE_LIMIT_OFF,
      SEND_RATE_LIMIT: RATE_LIMIT_OFF,
      SEND_ADDRESS_RATE_LIMIT: RATE_LIMIT_OFF,
      WORKERS: String(workers),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4096)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const everyWorkerListens = async () => {
    await waitForHealth(baseUrl, `the app in ${APP_DIR}`);
    while (workers > 1 && !output.includes(`All ${workers} workers are listening`)) {
      await sleep(100);
    }
  };
  await Promise.race([
    everyWorkerListens(),
    new Promise((_, reject) =>
      child.once('exit', (code) => reject(new Error(`the app exited (${code}) on start`))),
    ),
  ]);
  return {
    name: 'app',
    api: 'app',
    child,
    baseUrl,
    streamPath: '/notifications/stream',
    cookieFor: appCookieFor,
  };
}

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

/** The load process's answer, or an error as soon as the app or the load process dies. */
function askWhileAlive<T>(
  load: LoadProcess,
  app: Server,
  command: Record<string, unknown>,
  reply: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const died = (who: string) => (code: number | null) =>
      reject(new Error(`${who} exited (${code}) during '${command.type as string}'`));
    const loadDied = died('the load process');
    const appDied = died('the app');
    load.child.once('exit', loadDied);
    app.child.once('exit', appDied);
    void load.ask<T>(command, reply).then((answer) => {
      load.child.off('exit', loadDied);
      app.child.off('exit', appDied);
      resolve(answer);
    });
  });
}

interface Written {
  times: number[];
  failures: number;
}

interface Target {
  database: SendRun['database'];
  url: string;
  seed(users: number): Promise<void>;
  countMessages(): Promise<number>;
  otherConnections(): Promise<number | null>;
  drop(): Promise<void>;
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'microblog-sends-'));
  const file = join(dir, 'bench.sqlite');
  return {
    database: 'SQLite',
    url: `sqlite:${file}`,
    seed: (users) => Promise.resolve(seedUsersSqlite(file, users)),
    countMessages: () => {
      const db = new Database(file, { readonly: true, timeout: 10_000 });
      try {
        return Promise.resolve(
          (db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n,
        );
      } finally {
        db.close();
      }
    },
    otherConnections: () => Promise.resolve(null),
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

async function mariadbTarget(): Promise<Target> {
  const scratch = await createScratchDatabase();
  const name = new URL(scratch.url).pathname.slice(1);
  const query = async <T>(sql: string, values: unknown[] = []): Promise<T> => {
    const connection = await createConnection(TEST_MYSQL_URL);
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
    seed: (users) => seedUsersMysql(scratch.url, users),
    countMessages: async () =>
      Number((await query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM \`${name}\`.messages`))[0].n),
    otherConnections: async () =>
      Number(
        (
          await query<{ n: number }[]>(
            `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
             WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon', 'Binlog Dump')
               AND USER <> 'system user' AND (DB IS NULL OR DB <> ?)`,
            [name],
          )
        )[0].n,
      ),
    drop: scratch.drop,
  };
}

const cleanups = new Set<() => Promise<void>>();

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * The workers' profiles (one file per process, named by its pid) over the window, by stage:
 * each scaled to that worker's CPU over the window (/proc), then summed, in µs per send.
 */
function stagesOf(
  profileDir: string,
  workerPids: number[],
  cpuSecondsOf: (index: number) => number,
  window: { fromUs: number; toUs: number; sends: number },
): Record<string, number> {
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  const total: Record<string, number> = {};
  workerPids.forEach((pid, i) => {
    const file = files.find((f) => f.split('.').includes(String(pid)));
    if (!file) {
      throw new Error(`worker ${pid} wrote no CPU profile`);
    }
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
    const cpuUsPerSend = (cpuSecondsOf(i) * 1e6) / window.sends;
    const { stages } = analyseProfile(
      profile,
      window.fromUs,
      window.toUs,
      window.sends,
      cpuUsPerSend,
    );
    for (const stage of stages) {
      total[stage.stage] = (total[stage.stage] ?? 0) + stage.usPerConnect;
    }
  });
  return total;
}

/** Per database and client count: the workers' µs per send by stage, 1 worker against more. */
function stagesTable(runs: SendRun[]): string[] {
  const profiled = runs.filter((r) => r.stagesUsPerSend);
  if (profiled.length === 0) {
    return [];
  }
  const columns = profiled.map(
    (r) => `${r.database}, ${r.clients} senders, ${r.workers ?? 1} worker(s)`,
  );
  const stages = [...new Set(profiled.flatMap((r) => Object.keys(r.stagesUsPerSend ?? {})))];
  const total = (r: SendRun) => Object.values(r.stagesUsPerSend ?? {}).reduce((a, b) => a + b, 0);
  return [
    '',
    "## Where the workers' CPU per send goes (--profile), µs per send",
    '',
    `| stage | ${columns.join(' | ')} |`,
    `| --- |${columns.map(() => ' ---: |').join('')}`,
    ...stages
      .map((stage) => ({ stage, values: profiled.map((r) => r.stagesUsPerSend?.[stage] ?? 0) }))
      .sort((a, b) => Math.max(...b.values) - Math.max(...a.values))
      .map(({ stage, values }) => `| ${stage} | ${values.map((v) => f(v, 0)).join(' | ')} |`),
    `| **all workers** | ${profiled.map((r) => `**${f(total(r), 0)}**`).join(' | ')} |`,
  ];
}

async function runOnce(
  database: 'sqlite' | 'mariadb',
  clients: number,
  workers: number,
  round: number,
): Promise<SendRun> {
  const quiet = await waitForQuiet();
  const target = database === 'sqlite' ? sqliteTarget() : await mariadbTarget();
  cleanups.add(() => target.drop());
  let app: Server | undefined;
  let load: LoadProcess | undefined;
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'microblog-sends-profile-')) : null;
  const removeProfiles = () => {
    if (profileDir) {
      rmSync(profileDir, { recursive: true, force: true });
    }
  };
  cleanups.add(() => Promise.resolve(removeProfiles()));
  try {
    app = await startAppAt(target.url, workers, profileDir);
    const started = app;
    const stopApp = () => stopProcess(started.child);
    cleanups.add(stopApp);
    // user1 is the admin; senders 2..clients+1, then each sender's own recipients.
    await target.seed(1 + clients * (1 + RECIPIENTS_PER_SENDER));
    const senders = await Promise.all(
      Array.from({ length: clients }, async (_, s) => {
        const recipients = Array.from(
          { length: RECIPIENTS_PER_SENDER },
          (_, r) => 2 + clients + s * RECIPIENTS_PER_SENDER + r,
        );
        return { ...(await formSession(started, 2 + s, recipients[0])), recipients };
      }),
    );
    if (senders.some((s) => !s.token)) {
      throw new Error('the send form carried no CSRF token');
    }
    load = LoadProcess.start();
    // A close() after the load process died emits 'error' on it; the run has failed already.
    load.child.on('error', () => undefined);
    const write = (durationMs: number) =>
      askWhileAlive<Written>(
        load!,
        started,
        { type: 'write', baseUrl: started.baseUrl, senders, durationMs },
        'written',
      );
    const warmUp = await write(WARM_UP_SECONDS * 1000);
    const appPids = [app.child.pid!, ...descendantsOf(app.child.pid!)];
    const loadPid = load.child.pid!;
    const dbPid = database === 'mariadb' ? mariadbPid() : null;
    const workerCpu = () =>
      appPids.slice(workers > 1 ? 1 : 0).map((pid) => procStat(pid).cpuSeconds);
    const cpuOf = () => ({
      workers: workerCpu(),
      app: appPids.reduce((sum, pid) => sum + procStat(pid).cpuSeconds, 0),
      primary: procStat(appPids[0]).cpuSeconds,
      load: procStat(loadPid).cpuSeconds,
      db: dbPid === null ? 0 : procStat(dbPid).cpuSeconds,
      machine: machineCpu(),
    });
    const loadAverageAtStart = loadavg();
    const storedBefore = await target.countMessages();
    const before = cpuOf();
    const t0 = now();
    const fromUs = monotonicUs();
    const written = await write(SECONDS * 1000);
    const toUs = monotonicUs();
    const windowMs = now() - t0;
    const after = cpuOf();
    const storedAfter = await target.countMessages();
    const otherMariadbConnections = await target.otherConnections();
    const sends = written.times.length;
    const perSend = (seconds: number) => (sends ? (seconds * 1000) / sends : NaN);
    const appCpu = after.app - before.app;
    const dbCpu = after.db - before.db;
    const loadCpu = after.load - before.load;
    const machineBusy = after.machine.busy - before.machine.busy;
    const windowSeconds = windowMs / 1000;
    let stagesUsPerSend: Record<string, number> | undefined;
    if (profileDir) {
      await stopProcess(app.child);
      const workerPids = appPids.slice(workers > 1 ? 1 : 0);
      stagesUsPerSend = stagesOf(
        profileDir,
        workerPids,
        (i) => after.workers[i] - before.workers[i],
        {
          fromUs,
          toUs,
          sends,
        },
      );
    }
    return {
      database: target.database,
      workers,
      clients,
      windowMs,
      sends,
      failures: written.failures,
      sendsPerSecond: sends / windowSeconds,
      latencyMs: latencies(written.times),
      appCpuMsPerSend: perSend(appCpu),
      ...(workers > 1 ? { primaryCpuMsPerSend: perSend(after.primary - before.primary) } : {}),
      mariadbCpuMsPerSend: dbPid === null ? null : perSend(dbCpu),
      loadClientCpuMsPerSend: perSend(loadCpu),
      ...(stagesUsPerSend ? { stagesUsPerSend } : {}),
      storedMessages: storedAfter - storedBefore,
      warmUpSends: warmUp.times.length,
      machineBusyCores: machineBusy / windowSeconds,
      otherBusyCores: Math.max(0, machineBusy - appCpu - dbCpu - loadCpu) / windowSeconds,
      otherMariadbConnections,
      loadAverageAtStart,
      quietWaitSeconds: quiet.waited,
      busyCoresBeforeRun: quiet.busyCores,
      round,
    };
  } finally {
    if (load?.child.connected) {
      load.close();
    }
    if (app) {
      await stopProcess(app.child);
    }
    cleanups.clear();
    removeProfiles();
    await target.drop();
  }
}

const f = (v: number | null, digits: number) =>
  v === null || Number.isNaN(v) ? '-' : v.toFixed(digits);

const HEADER =
  '| database | workers | clients | sends/s | p50 ms | p99 ms | app CPU ms/send | mariadbd CPU ms/send | load client CPU ms/send | failures | stored / sends | machine busy cores (others) |';
const ALIGN =
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';

const row = (r: SendRun, sendsPerSecond = f(r.sendsPerSecond, 0)) =>
  `| ${r.database} | ${r.workers ?? 1} | ${r.clients} | ${sendsPerSecond} | ${f(r.latencyMs.p50, 1)} | ${f(r.latencyMs.p99, 1)} | ` +
  `${f(r.appCpuMsPerSend, 2)}${r.primaryCpuMsPerSend === undefined ? '' : ` (primary ${f(r.primaryCpuMsPerSend, 2)})`} | ${f(r.mariadbCpuMsPerSend, 2)} | ${f(r.loadClientCpuMsPerSend, 2)} | ${r.failures} | ` +
  `${r.storedMessages ?? '-'} / ${r.sends} | ${f(r.machineBusyCores, 2)} (${f(r.otherBusyCores, 2)}) |`;

/**
 * One row per database and client count: its quietest round (least CPU used by others; others
 * only ever slow a run down, so that round comes closest to the app's own figures), every
 * figure from that one run, with the spread of sends/s over the rounds.
 */
function summaryTable(runs: SendRun[]): string {
  const groups = new Map<string, SendRun[]>();
  for (const r of runs) {
    const key = `${r.database}/${r.workers ?? 1}/${r.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [
    HEADER,
    ALIGN,
    ...[...groups.values()].map((group) => {
      const sorted = [...group].sort((a, b) => a.sendsPerSecond - b.sendsPerSecond);
      const quietest = group.reduce((q, r) => (r.otherBusyCores < q.otherBusyCores ? r : q));
      const spread =
        group.length > 1
          ? ` (${f(sorted[0].sendsPerSecond, 0)}–${f(sorted[sorted.length - 1].sendsPerSecond, 0)})`
          : '';
      return row(quietest, `${f(quietest.sendsPerSecond, 0)}${spread}`);
    }),
  ].join('\n');
}

function runsTable(runs: SendRun[]): string {
  return [
    HEADER.replace('| database |', '| round | database |'),
    ALIGN.replace('| --- |', '| ---: | --- |'),
    ...runs.map((r) => `| ${r.round} ${row(r)}`),
  ].join('\n');
}

interface SendsResult {
  name: string;
  date: string;
  app: { dir: string; commit: string | null; uncommittedSrcFiles: number | null };
  machine: string;
  loadAverageAtStart: number[];
  settings: {
    seconds: number;
    repeat: number;
    quietWaitSeconds: number;
    quietBusyCores: number;
    attempts: number;
    warmUpSeconds: number;
    recipientsPerSender: number;
    sendRateLimitPerMinute: number;
    redis: string;
    dbPoolSize: string;
  };
  runs: SendRun[];
  /** Runs done again because others used the machine meanwhile. */
  discardedRuns: SendRun[];
}

function markdownOf(result: SendsResult): string {
  const { settings } = result;
  const all = [...result.runs, ...result.discardedRuns];
  const failures = all.reduce((t, r) => t + r.failures, 0);
  const unstored = all.filter((r) => r.storedMessages !== null && r.storedMessages !== r.sends);
  return [
    `# Send path: ${result.name} (${result.date})`,
    '',
    `App: \`${result.app.dir}\` at ${result.app.commit ?? '?'} (${result.app.uncommittedSrcFiles ?? '?'} uncommitted files under src/). ` +
      `Machine: ${result.machine}; load average at start ${result.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}.`,
    '',
    `Each run: a fresh app process and database, ${settings.warmUpSeconds} s warm-up, ${settings.seconds} s measured; ` +
      `each client posts the send form back to back to ${settings.recipientsPerSender} recipients of its own. ` +
      `${settings.repeat} round(s); a row is its quietest round, with the spread of sends/s over rounds in brackets. ` +
      'CPU per send counts successful sends (302). "Others" is machine CPU that the app, mariadbd and the load client do not explain ' +
      `(cores, averaged over the run); ${result.discardedRuns.length} run(s) were done again because others used ${settings.quietBusyCores} cores or more. ` +
      'Figures from runs with busy others are low for sends/s and high for CPU per send. ' +
      `Over all ${all.length} runs: ${failures} failure(s) (answers other than 302), ` +
      `${unstored.length} run(s) where the messages stored differ from the 302s.`,
    '',
    summaryTable(result.runs),
    ...(settings.repeat > 1 ? ['', '## Every run', '', runsTable(result.runs)] : []),
    ...stagesTable(result.runs),
  ].join('\n');
}

function writeResults(result: SendsResult): void {
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(
    join(__dirname, 'results', `${result.name}.json`),
    JSON.stringify(result, null, 2) + '\n',
  );
  writeFileSync(join(__dirname, 'results', `${result.name}.md`), markdownOf(result) + '\n');
  console.log(`\n${markdownOf(result)}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--report-only')) {
    // The tables again from a run's JSON, e.g. after a change to them.
    writeResults(
      JSON.parse(readFileSync(join(__dirname, 'results', `${OUT}.json`), 'utf8')) as SendsResult,
    );
    return;
  }
  if (!existsSync(join(APP_DIR, 'dist/main.js'))) {
    throw new Error(`${APP_DIR}/dist/main.js is missing: run npm run build in ${APP_DIR}`);
  }
  const dirtyFiles = git('status', '--porcelain', '--', 'src');
  const result: SendsResult = {
    name: OUT,
    date: new Date().toISOString(),
    app: {
      dir: APP_DIR,
      commit: git('rev-parse', 'HEAD'),
      /** Changed files under src/ not in that commit (the build may include them). */
      uncommittedSrcFiles:
        dirtyFiles === null ? null : dirtyFiles.split('\n').filter(Boolean).length,
    },
    machine: machineLine(),
    loadAverageAtStart: loadavg(),
    settings: {
      seconds: SECONDS,
      repeat: REPEAT,
      quietWaitSeconds: QUIET_WAIT_SECONDS,
      quietBusyCores: QUIET_BUSY_CORES,
      attempts: ATTEMPTS,
      warmUpSeconds: WARM_UP_SECONDS,
      recipientsPerSender: RECIPIENTS_PER_SENDER,
      sendRateLimitPerMinute: Number(RATE_LIMIT_OFF),
      redis: 'off (in-process delivery; between workers over the cluster channel)',
      dbPoolSize: 'app default',
    },
    runs: [],
    discardedRuns: [],
  };
  console.log(
    `sends: app ${APP_DIR} (${result.app.commit?.slice(0, 7) ?? 'no git'}, ${result.app.uncommittedSrcFiles ?? '?'} uncommitted src files), ` +
      `${SECONDS} s runs, load average ${result.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}`,
  );
  // Round by round, so a busy spell on the machine spreads over all runs rather than one.
  for (let round = 1; round <= REPEAT; round++) {
    for (const database of DATABASES) {
      for (const workers of WORKER_COUNTS) {
        for (const clients of CLIENTS) {
          console.log(
            `round ${round}/${REPEAT}: ${database}, ${workers} worker(s), ${clients} clients...`,
          );
          for (let attempt = 1; ; attempt++) {
            const run = await runOnce(database, clients, workers, round);
            console.log(JSON.stringify(run));
            if (run.otherBusyCores < QUIET_BUSY_CORES || attempt >= ATTEMPTS) {
              result.runs.push(run);
              break;
            }
            console.warn(`  others used ${run.otherBusyCores.toFixed(2)} cores: again`);
            result.discardedRuns.push(run);
          }
        }
      }
    }
  }
  writeResults(result);
}

/** Newest first: the app stops before its database goes. */
async function cleanUp(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    await c().catch(() => undefined);
  }
}

process.once('SIGINT', () => {
  void cleanUp().then(() => process.exit(130));
});

void main().catch(async (error: unknown) => {
  console.error(error);
  await cleanUp();
  process.exitCode = 1;
});
