/** What every bench scenario shares: processes, load processes, /proc figures, statistics. */
import Database from 'better-sqlite3';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';
import { createConnection } from 'mysql2/promise';

export const ROOT = join(__dirname, '..');
/** The machine a result was measured on, for its report. */
export const machineLine = () =>
  `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;

/** The hand-written reading below a report's generated tables, kept when they are rewritten. */
export function previousNotes(file: string, heading = '## Reading'): string {
  try {
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(`\n${heading}`);
    return at >= 0 ? text.slice(at + 1) : '';
  } catch {
    return '';
  }
}

export const FULL = process.argv.includes('--full');
export const SECRET = 'bench-secret-that-is-long-enough-0123456789-abcdef';
/** Streams per load process: well under the per-process fd ceiling of 20,000. */
export const PER_LOAD_PROCESS = 5000;
const CLK_TCK = 100;

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `--sizes=2000,5000` or `--scenarios=capacity,growth` narrow a run while profiling. */
export const option = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

export interface ProcStat {
  rssKb: number;
  cpuSeconds: number;
}

export function procStat(pid: number): ProcStat {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssKb, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLK_TCK };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
    : NaN;
}

export interface Latencies {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function latencies(values: number[]): Latencies {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : NaN,
  };
}

export const fmtLatencies = (l?: Latencies) =>
  l ? [l.p50, l.p95, l.p99, l.max].map((v) => v.toFixed(1)).join('/') : '-';

/** Median and spread (min..max) of repeated runs. */
export interface Repeated {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function repeated(runs: number[]): Repeated {
  return { median: percentile(runs, 50), min: Math.min(...runs), max: Math.max(...runs), runs };
}

export const fmtRepeated = (r: Repeated, digits = 0) =>
  `${r.median.toFixed(digits)} (${r.min.toFixed(digits)}–${r.max.toFixed(digits)})`;

/**
 * A port for a server under test, below the kernel's ephemeral range (32768-60999 here), so no
 * client socket's source port can already hold it.
 */
export function serverPort(): number {
  return 20_000 + Math.floor(Math.random() * 10_000);
}

export async function waitForHealth(baseUrl: string, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) {
        return;
      }
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  throw new Error(`${what} did not start`);
}

export interface Server {
  name: string;
  /**
   * The HTTP contract it speaks: the floor's (`/broadcast`, `/publish?user=`, cookie `u=<id>`),
   * shared by the reference servers, or the app's (admin API, the send form, a JWT cookie).
   */
  api: 'floor' | 'app';
  child: ChildProcess;
  baseUrl: string;
  streamPath: string;
  cookieFor(userId: number): string;
}

/** A reference server of bench/ speaking the floor's contract, run as floor-server.ts is. */
async function startReference(
  name: string,
  file: string,
  port: number,
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<Server> {
  // Transpile-only still emits the decorator metadata Nest needs: ts-node reads tsconfig.json
  // (experimentalDecorators, emitDecoratorMetadata) from the working directory.
  const child = fork(join(__dirname, file), [], {
    cwd: ROOT,
    execArgv: ['-r', 'ts-node/register/transpile-only', ...nodeArgs],
    env: { ...process.env, PORT: String(port), ...env },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, `the ${name} server`);
  return {
    name,
    api: 'floor',
    child,
    baseUrl,
    streamPath: '/stream',
    cookieFor: (id) => `u=${id}`,
  };
}

/** The floor: plain node:http (bench/floor-server.ts). */
export const startFloor = (port: number) => startReference('floor', 'floor-server.ts', port);

/**
 * Nest 11 `@Sse` with nothing of the app (bench/bare-sse-server.ts); `nodeArgs` go to node
 * (--cpu-prof, -r bench/diagnostics-preload.js).
 */
export const startBareSse = (
  port: number,
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
) => startReference('bare-sse', 'bare-sse-server.ts', port, nodeArgs, env);

/**
 * The server-side session the seeders give each user, `bench-<user id>`: the app refuses a
 * token whose session it does not hold.
 */
const SESSION_PREFIX = 'bench-';
const benchSessionOf = (id: number) => `${SESSION_PREFIX}${id}`;

export const appCookieFor = (id: number) =>
  `mb_token=${jwt.sign({ sub: id, sid: benchSessionOf(id) }, SECRET, { algorithm: 'HS256', expiresIn: '2h' })}`;

/**
 * The production build (dist/main.js) with rate limits out of the way; `nodeArgs` go to node
 * before the script (--cpu-prof, -r bench/diagnostics-preload.js).
 */
export async function startApp(
  name: string,
  port: number,
  databaseUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      LOGIN_RATE_LIMIT: '1000000',
      REGISTER_RATE_LIMIT: '1000000',
      SEND_RATE_LIMIT: '1000000',
      SEND_ADDRESS_RATE_LIMIT: '1000000',
      // One process, as the reference servers are, unless a run asks for WORKERS.
      WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4096)));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, name);
  const workers = Number(env.WORKERS ?? 1);
  // The first worker answers /health; the cluster's primary says when the others listen too.
  while (workers > 1 && !output.includes(`All ${workers} workers are listening`)) {
    await sleep(100);
  }
  return {
    name,
    api: 'app',
    child,
    baseUrl,
    streamPath: '/notifications/stream',
    cookieFor: appCookieFor,
  };
}

/** Sends `signal` and waits for the process to exit; SIGKILL after `graceMs`. */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const utcStamp = (date = new Date()) => date.toISOString().replace('T', ' ').replace('Z', '');
/** Sessions outlive the run; tokens (appCookieFor) expire after 2 h. */
const sessionExpiry = () => utcStamp(new Date(Date.now() + 24 * 3600_000));

/**
 * Users user1..userN straight into the app's database (user1 is the admin), each with the
 * session its bench token names.
 */
export function seedUsersSqlite(databaseFile: string, count: number): void {
  const db = new Database(databaseFile, { timeout: 10_000 });
  const stamp = utcStamp();
  const expires = sessionExpiry();
  const insert = db.prepare(
    `INSERT INTO users (username, email, password_hash, about_me, role, disabled, created_at, last_seen)
     VALUES (?, ?, 'x', NULL, ?, 0, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      insert.run(`user${i}`, `user${i}@example.com`, i === 1 ? 'admin' : 'user', stamp, stamp);
    }
    db.prepare(
      `INSERT OR IGNORE INTO sessions (id, user_id, created_at, expires_at)
       SELECT '${SESSION_PREFIX}' || id, id, ?, ? FROM users`,
    ).run(stamp, expires);
  })();
  db.close();
}

export async function seedUsersMysql(url: string, count: number): Promise<void> {
  const connection = await createConnection(url);
  const stamp = utcStamp();
  try {
    for (let from = 1; from <= count; from += 1000) {
      const rows = [];
      for (let i = from; i < Math.min(from + 1000, count + 1); i++) {
        rows.push([
          `user${i}`,
          `user${i}@example.com`,
          'x',
          i === 1 ? 'admin' : 'user',
          0,
          stamp,
          stamp,
        ]);
      }
      await connection.query(
        'INSERT INTO users (username, email, password_hash, role, disabled, created_at, last_seen) VALUES ?',
        [rows],
      );
    }
    await connection.query(
      `INSERT IGNORE INTO sessions (id, user_id, created_at, expires_at)
       SELECT CONCAT('${SESSION_PREFIX}', id), id, ?, ? FROM users`,
      [stamp, sessionExpiry()],
    );
  } finally {
    await connection.end();
  }
}

/** A load process (bench/load-client.ts), driven over IPC. */
export class LoadProcess {
  private readonly waiting = new Map<string, (message: Record<string, unknown>) => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: Record<string, unknown>) => {
      this.waiting.get(message.type as string)?.(message);
    });
  }

  static start(): LoadProcess {
    return new LoadProcess(
      fork(join(__dirname, 'load-client.ts'), [], {
        execArgv: ['-r', 'ts-node/register/transpile-only'],
      }),
    );
  }

  ask<T>(command: Record<string, unknown>, reply: string): Promise<T> {
    return new Promise((resolve) => {
      this.waiting.set(reply, (message) => resolve(message as T));
      this.child.send(command);
    });
  }

  close(): void {
    this.child.send({ type: 'close' });
  }
}

export interface Received {
  userId: number;
  name: string;
  at: number;
}

/** Events the load processes saw since the last call, and their CPU so far. */
export async function collect(
  loads: LoadProcess[],
): Promise<{ events: Received[]; clientCpuSeconds: number }> {
  const reports = await Promise.all(
    loads.map((l) =>
      l.ask<{ events: Received[]; cpu: { user: number; system: number } }>(
        { type: 'report' },
        'events',
      ),
    ),
  );
  return {
    events: reports.flatMap((r) => r.events),
    clientCpuSeconds: reports.reduce((sum, r) => sum + (r.cpu.user + r.cpu.system) / 1e6, 0),
  };
}

export function slices<T>(items: T[], size = PER_LOAD_PROCESS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

let loopbackAddresses = 0;

/**
 * A loopback source address no earlier load process used: the kernel's free-port search for
 * an address slows down with every socket on it, and closed connections stay in TIME_WAIT on
 * their address for a minute (reusing one made the connect rate of the next run 7x slower).
 */
export function freshLoopbackAddress(): string {
  const k = loopbackAddresses++;
  return `127.${10 + Math.floor(k / 200)}.${10 + (k % 200)}.1`;
}

/**
 * Connects one stream per user from load processes bound to loopback addresses of their own;
 * returns the processes and the connect figures.
 */
export async function connectStreams(server: Server, userIds: number[]) {
  const groups = slices(userIds);
  const loads = groups.map(() => LoadProcess.start());
  const results = await Promise.all(
    loads.map((load, i) =>
      load.ask<{ started: number; finished: number; failures: number }>(
        {
          type: 'connect',
          baseUrl: server.baseUrl,
          path: server.streamPath,
          clients: groups[i].map((userId) => ({ userId, cookie: server.cookieFor(userId) })),
          localAddress: freshLoopbackAddress(),
          concurrency: 100,
        },
        'connected',
      ),
    ),
  );
  const started = Math.min(...results.map((r) => r.started));
  const finished = Math.max(...results.map((r) => r.finished));
  const failures = results.reduce((sum, r) => sum + r.failures, 0);
  return {
    loads,
    connectPerSecond: (userIds.length - failures) / ((finished - started) / 1000),
    failures,
  };
}

/** A browser-like session for one user: cookie jar and the CSRF token of the send form. */
export async function formSession(server: Server, userId: number, recipient: number) {
  const jar = new Map<string, string>([['mb_token', server.cookieFor(userId).split('=')[1]]]);
  const form = await fetch(`${server.baseUrl}/send_message/user${recipient}`, {
    headers: { Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
  });
  for (const c of form.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  return { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), token };
}

/** The streams a server (the app or a reference server) holds open, from its /health. */
export async function openStreams(server: Server): Promise<number> {
  const res = await fetch(`${server.baseUrl}/health`);
  return ((await res.json()) as { openStreams: number }).openStreams;
}

/** Waits until the server holds `count` streams (closed ones gone); throws after `timeoutMs`. */
export async function waitForOpenStreams(
  server: Server,
  count: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let open = await openStreams(server);
  while (open !== count) {
    if (Date.now() > deadline) {
      throw new Error(`${server.name} holds ${open} streams, not ${count}`);
    }
    await sleep(200);
    open = await openStreams(server);
  }
}

/** Node options that load bench/diagnostics-preload.js into a server under test. */
export const diagnosticsNodeArgs = () => ['-r', join(__dirname, 'diagnostics-preload.js')];

/** Memory figures from bench/diagnostics-preload.js: before and after a full GC. */
export interface MemoryFigures {
  memoryUsage: NodeJS.MemoryUsage;
  heapSpaces: { name: string; size: number; used: number; available: number; committed: number }[];
}

/** One collection V8 made (v8.GCProfiler), heap bytes before and after it. */
export interface GcRecord {
  type: string;
  costUs: number;
  usedBefore: number;
  usedAfter: number;
  oldSpaceBefore: number;
  oldSpaceAfter: number;
}

export interface DiagnosticsReport {
  /** The heap snapshot's path (SIGUSR2), null for SIGHUP. */
  file: string | null;
  ms: number;
  before: MemoryFigures;
  after: MemoryFigures;
  /** The collections between the previous report and this one. */
  collections: GcRecord[];
}

export interface GcSummary {
  /** Bytes allocated on the heap between the two reports. */
  allocated: number;
  /** Bytes that scavenges moved into the old space (survived two young collections). */
  promoted: number;
  scavenges: number;
  /** Mark-compacts and the others (incremental marking steps, weak callbacks). */
  otherCollections: number;
  pauseMs: number;
  maxPauseMs: number;
}

/** What the heap did between two reports of bench/diagnostics-preload.js. */
export function gcBetween(from: DiagnosticsReport, to: DiagnosticsReport): GcSummary {
  let used = from.after.memoryUsage.heapUsed;
  let allocated = 0;
  let promoted = 0;
  let scavenges = 0;
  let pauseUs = 0;
  let maxPauseUs = 0;
  for (const gc of to.collections) {
    allocated += Math.max(0, gc.usedBefore - used);
    used = gc.usedAfter;
    if (gc.type === 'Scavenge') {
      scavenges++;
      promoted += Math.max(0, gc.oldSpaceAfter - gc.oldSpaceBefore);
    }
    pauseUs += gc.costUs;
    maxPauseUs = Math.max(maxPauseUs, gc.costUs);
  }
  allocated += Math.max(0, to.before.memoryUsage.heapUsed - used);
  return {
    allocated,
    promoted,
    scavenges,
    otherCollections: to.collections.length - scavenges,
    pauseMs: pauseUs / 1000,
    maxPauseMs: maxPauseUs / 1000,
  };
}

/**
 * The diagnostics of a server started with diagnosticsNodeArgs() and BENCH_DIAGNOSTICS_DIR:
 * `memory()` reports memory around a full collection (with --expose-gc; without, no
 * collection), `snapshot()` writes a heap snapshot as well.
 */
export class ServerDiagnostics {
  private asked = 0;

  constructor(
    private readonly server: Server,
    readonly dir: string,
  ) {}

  memory(): Promise<DiagnosticsReport> {
    return this.ask('SIGHUP');
  }

  snapshot(): Promise<DiagnosticsReport> {
    return this.ask('SIGUSR2');
  }

  private async ask(signal: NodeJS.Signals): Promise<DiagnosticsReport> {
    const file = join(this.dir, `${++this.asked}.json`);
    this.server.child.kill(signal);
    const deadline = Date.now() + 300_000;
    while (!existsSync(file)) {
      if (Date.now() > deadline || this.server.child.exitCode !== null) {
        throw new Error(`${this.server.name} wrote no ${file}`);
      }
      await sleep(100);
    }
    return JSON.parse(readFileSync(file, 'utf8')) as DiagnosticsReport;
  }
}

/** The two servers the profiling scripts measure side by side. */
export const COMPARED_SERVERS = ['bare-sse', 'app'] as const;
export type ComparedServer = (typeof COMPARED_SERVERS)[number];

/**
 * The servers of one run of a profiling script (stream-heap, connect-profile, fanout-profile):
 * the bare `@Sse` server, or the app on a SQLite file of the run's own, seeded with `users`
 * users once its migrations have run; each in a fresh process with the node arguments and
 * environment its measurement needs.
 */
export class ComparedServers {
  readonly running: Server[] = [];
  private seeded = false;

  constructor(
    readonly dir: string,
    private readonly users: number,
  ) {}

  async start(name: ComparedServer, nodeArgs: string[], env: Record<string, string>) {
    const databaseFile = join(this.dir, 'bench.sqlite');
    const server =
      name === 'bare-sse'
        ? await startBareSse(serverPort(), nodeArgs, env)
        : await startApp('app', serverPort(), `sqlite:${databaseFile}`, env, nodeArgs);
    this.running.push(server);
    if (name === 'app' && !this.seeded) {
      seedUsersSqlite(databaseFile, this.users);
      this.seeded = true;
    }
    return server;
  }

  /** A folder of the run's own for one server's profiles and snapshots. */
  folder(name: ComparedServer): string {
    const folder = join(this.dir, name);
    mkdirSync(folder, { recursive: true });
    return folder;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((s) => stopProcess(s.child)));
  }
}

/** Runs `body` with a run's servers: stopped, and their folder removed, however it ends. */
export async function withComparedServers<T>(
  prefix: string,
  users: number,
  body: (servers: ComparedServers) => Promise<T>,
): Promise<T> {
  const servers = new ComparedServers(mkdtempSync(join(tmpdir(), prefix)), users);
  const cleanUp = () =>
    servers.stopAll().finally(() => rmSync(servers.dir, { recursive: true, force: true }));
  const interrupted = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await body(servers);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await cleanUp();
  }
}
