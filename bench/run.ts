/**
 * `npm run bench` (quick, ~2 min) or `npm run bench -- --full`: starts the production build of
 * the app on a fresh SQLite database and the floor server (bench/floor-server.ts), drives both
 * from separate load processes on 127.0.0.x, and writes bench/results/<profile>.json and .md.
 * Benchmarks print figures; nothing here passes or fails.
 */
import Database from 'better-sqlite3';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import jwt from 'jsonwebtoken';

const ROOT = join(__dirname, '..');
const FULL = process.argv.includes('--full');
/** `--sizes=2000,5000` and `--servers=app` narrow a run while profiling. */
const option = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SECRET = 'bench-secret-that-is-long-enough-0123456789-abcdef';
const PER_LOAD_PROCESS = 5000;
const CLK_TCK = 100;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ProcStat {
  rssKb: number;
  cpuSeconds: number;
}

function procStat(pid: number): ProcStat {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { rssKb, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLK_TCK };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
    : NaN;
}

async function waitForHealth(baseUrl: string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
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

interface Server {
  name: 'floor' | 'app';
  child: ChildProcess;
  baseUrl: string;
  streamPath: string;
  cookieFor(userId: number): string;
}

async function startFloor(port: number): Promise<Server> {
  const child = fork(join(__dirname, 'floor-server.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, PORT: String(port) },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, 'the floor server');
  return { name: 'floor', child, baseUrl, streamPath: '/stream', cookieFor: (id) => `u=${id}` };
}

async function startApp(port: number, databaseFile: string): Promise<Server> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${databaseFile}`,
      JWT_SECRET: SECRET,
      LOGIN_RATE_LIMIT: '1000000',
      SEND_RATE_LIMIT: '1000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, 'the app');
  return {
    name: 'app',
    child,
    baseUrl,
    streamPath: '/notifications/stream',
    cookieFor: (id) =>
      `mb_token=${jwt.sign({ sub: id }, SECRET, { algorithm: 'HS256', expiresIn: '2h' })}`,
  };
}

/** Users straight into the app's database (one shared password hash; seen just now). */
function seedUsers(databaseFile: string, count: number): void {
  const db = new Database(databaseFile, { timeout: 10_000 });
  const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const insert = db.prepare(
    `INSERT INTO users (username, email, password_hash, about_me, role, disabled, created_at, last_seen)
     VALUES (?, ?, 'x', NULL, ?, 0, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      insert.run(`user${i}`, `user${i}@example.com`, i === 1 ? 'admin' : 'user', stamp, stamp);
    }
  })();
  db.close();
}

class LoadProcess {
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

interface Received {
  userId: number;
  name: string;
  at: number;
}

async function collect(
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

function slices(userIds: number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < userIds.length; i += PER_LOAD_PROCESS) {
    out.push(userIds.slice(i, i + PER_LOAD_PROCESS));
  }
  return out;
}

/** Connects one stream per user; returns the load processes and the connect figures. */
async function connectStreams(server: Server, userIds: number[]) {
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
          localAddress: `127.0.0.${10 + i}`,
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

async function measureFanOut(
  server: Server,
  loads: LoadProcess[],
  users: number,
  adminCookie: string,
) {
  await collect(loads);
  const started = now();
  if (server.name === 'floor') {
    await fetch(`${server.baseUrl}/broadcast`, { method: 'POST' });
  } else {
    const token = adminCookie.slice('mb_token='.length);
    const res = await fetch(`${server.baseUrl}/api/admin/notifications`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        user: 'all',
        name: 'announcement',
        data: { message: `hello ${started}` },
      }),
    });
    if (res.status !== 201) {
      throw new Error(`announcement failed: ${res.status} ${await res.text()}`);
    }
  }
  const deadline = Date.now() + 120_000;
  let got: Received[] = [];
  while (Date.now() < deadline) {
    await sleep(200);
    got = got.concat((await collect(loads)).events.filter((e) => e.name === 'announcement'));
    if (new Set(got.map((e) => e.userId)).size >= users) {
      break;
    }
  }
  return {
    ms: Math.max(...got.map((e) => e.at)) - started,
    reached: new Set(got.map((e) => e.userId)).size,
  };
}

/** Messages over HTTP as the browser form sends them (CSRF token included). */
async function sendLatency(
  server: Server,
  loads: LoadProcess[],
  connected: number[],
  count: number,
) {
  const sender = connected[0];
  const cookie = server.cookieFor(sender);
  const jar = new Map<string, string>([['mb_token', cookie.split('=')[1]]]);
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const form = await fetch(`${server.baseUrl}/send_message/user2`, {
    headers: { Cookie: cookieHeader() },
  });
  remember(form);
  const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  await collect(loads);
  const sentAt = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const recipient = connected[1 + (i % (connected.length - 1))];
    sentAt.set(recipient, now());
    const res = await fetch(`${server.baseUrl}/send_message/user${recipient}`, {
      method: 'POST',
      headers: { Cookie: cookieHeader(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: token, message: `bench ${i}` }),
      redirect: 'manual',
    });
    if (res.status !== 302) {
      throw new Error(`send failed: ${res.status}`);
    }
    if (i % 50 === 49) {
      await sleep(5);
    }
  }
  await sleep(500);
  const { events } = await collect(loads);
  const latencies: number[] = [];
  const last = new Map<number, number>();
  for (const e of events.filter((e) => e.name === 'unread_message_count')) {
    last.set(e.userId, e.at);
  }
  for (const [recipient, at] of last) {
    const sent = sentAt.get(recipient);
    if (sent) {
      latencies.push(at - sent);
    }
  }
  return {
    delivered: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}

async function idleCpu(pid: number, windowMs: number): Promise<number> {
  const before = procStat(pid).cpuSeconds;
  await sleep(windowMs);
  return ((procStat(pid).cpuSeconds - before) / windowMs) * 60_000;
}

async function pollingBaseline(server: Server, userIds: number[], windowMs: number) {
  const groups = slices(userIds);
  const loads = groups.map(() => LoadProcess.start());
  const before = procStat(server.child.pid!).cpuSeconds;
  const results = await Promise.all(
    loads.map((load, i) =>
      load.ask<{ requests: number; failures: number }>(
        {
          type: 'poll',
          baseUrl: server.baseUrl,
          clients: groups[i].map((userId) => ({ userId, cookie: server.cookieFor(userId) })),
          localAddress: `127.0.1.${10 + i}`,
          intervalMs: 10_000,
          durationMs: windowMs,
        },
        'polled',
      ),
    ),
  );
  const cpuPerMinute = ((procStat(server.child.pid!).cpuSeconds - before) / windowMs) * 60_000;
  loads.forEach((l) => l.close());
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  return { cpuSecondsPerMinute: cpuPerMinute, requestsPerSecond: requests / (windowMs / 1000) };
}

interface Row {
  server: string;
  streams: number;
  rssPerStreamKb: number;
  connectPerSecond: number;
  fanOutMs: number;
  idleCpuSecondsPerMinute: number;
  loadCpuSeconds: number;
  failures: number;
  latency?: Awaited<ReturnType<typeof sendLatency>>;
}

async function capacityRun(server: Server, streams: number, withLatency: boolean): Promise<Row> {
  const pid = server.child.pid!;
  const userIds = Array.from({ length: streams }, (_, i) => i + 2);
  await sleep(1000);
  const base = procStat(pid);
  const { loads, connectPerSecond, failures } = await connectStreams(server, userIds);
  await sleep(3000);
  const loaded = procStat(pid);
  const idle = await idleCpu(pid, FULL ? 20_000 : 5_000);
  const fanOut = await measureFanOut(server, loads, streams, server.cookieFor(1));
  const latency =
    withLatency && server.name === 'app'
      ? await sendLatency(server, loads, userIds, FULL ? 1000 : 200)
      : undefined;
  const { clientCpuSeconds } = await collect(loads);
  loads.forEach((l) => l.close());
  await sleep(2000);
  return {
    server: server.name,
    streams,
    rssPerStreamKb: (loaded.rssKb - base.rssKb) / streams,
    connectPerSecond,
    fanOutMs: fanOut.ms,
    idleCpuSecondsPerMinute: idle,
    loadCpuSeconds: clientCpuSeconds,
    failures: failures + (streams - fanOut.reached),
    latency,
  };
}

function table(rows: Row[], polling: Record<string, unknown>): string {
  const floorOf = (n: number) => rows.find((r) => r.server === 'floor' && r.streams === n);
  const lines = [
    '| server | streams | RSS/stream KB (x floor) | connect/s (x floor) | fan-out ms (x floor) | idle CPU s/min | send→event p50/p95/p99/max ms | failures |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const r of rows) {
    const f = floorOf(r.streams);
    const ratio = (value: number, floor?: number) =>
      f && r.server !== 'floor' && floor ? ` (${(value / floor).toFixed(2)}x)` : '';
    const l = r.latency;
    lines.push(
      `| ${r.server} | ${r.streams} | ${r.rssPerStreamKb.toFixed(1)}${ratio(r.rssPerStreamKb, f?.rssPerStreamKb)} | ` +
        `${r.connectPerSecond.toFixed(0)}${ratio(r.connectPerSecond, f?.connectPerSecond)} | ` +
        `${r.fanOutMs.toFixed(0)}${ratio(r.fanOutMs, f?.fanOutMs)} | ${r.idleCpuSecondsPerMinute.toFixed(2)} | ` +
        `${l ? `${l.p50.toFixed(1)}/${l.p95.toFixed(1)}/${l.p99.toFixed(1)}/${l.max.toFixed(1)}` : '-'} | ${r.failures} |`,
    );
  }
  lines.push(
    '',
    `Polling baseline (the tutorial's 10 s client, same N): ${JSON.stringify(polling)}`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const sizes =
    option('sizes')?.split(',').map(Number) ?? (FULL ? [1000, 5000, 10_000, 19_000] : [1000]);
  const servers = option('servers')?.split(',') ?? ['floor', 'app'];
  const dir = mkdtempSync(join(tmpdir(), 'microblog-bench-'));
  const databaseFile = join(dir, 'bench.sqlite');
  const app = await startApp(41_000 + Math.floor(Math.random() * 1000), databaseFile);
  seedUsers(databaseFile, Math.max(...sizes) + 1);
  const floor = await startFloor(43_000 + Math.floor(Math.random() * 1000));
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      for (const server of [floor, app].filter((s) => servers.includes(s.name))) {
        console.log(`${server.name}: ${n} streams...`);
        const row = await capacityRun(server, n, true);
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
    const pollN = FULL ? 10_000 : 1000;
    const window = FULL ? 60_000 : 20_000;
    console.log(`polling baseline: ${pollN} clients for ${window / 1000} s...`);
    const polling = await pollingBaseline(
      app,
      Array.from({ length: pollN }, (_, i) => i + 2),
      window,
    );
    const sseIdle =
      rows.find((r) => r.server === 'app' && r.streams === pollN)?.idleCpuSecondsPerMinute ?? NaN;
    const pollingReport = {
      clients: pollN,
      pollingCpuSecondsPerMinute: Number(polling.cpuSecondsPerMinute.toFixed(2)),
      pollingRequestsPerSecond: Number(polling.requestsPerSecond.toFixed(0)),
      sseIdleCpuSecondsPerMinute: Number(sseIdle.toFixed(3)),
      cpuRatioPollingToSse: Number((polling.cpuSecondsPerMinute / sseIdle).toFixed(1)),
      pollingDeliveryLatency: 'mean ~5 s, worst ~10 s (interval 10 s)',
    };
    const name = FULL ? 'full' : 'quick';
    const result = {
      date: new Date().toISOString(),
      profile: name,
      node: process.version,
      rows,
      polling: pollingReport,
    };
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', `${name}.json`), JSON.stringify(result, null, 2));
    const markdown = table(rows, pollingReport);
    writeFileSync(join(__dirname, 'results', `${name}.md`), markdown + '\n');
    console.log(JSON.stringify(result));
    console.log(`\n${markdown}`);
  } finally {
    app.child.kill('SIGTERM');
    floor.child.kill('SIGTERM');
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
