/**
 * The soak (`npm run bench -- --soak`, not in CI): N streams of distinct users on one app
 * process (SQLite, or `--soak-db=mysql` on a scratch MariaDB database), held by load processes
 * on loopback addresses of their own, while messages go through the send form (CSRF and all)
 * at a fixed rate to the streamed users in turn. Checks every client's events against the
 * database at the end (lost, duplicated, last count), counts send statuses, samples the
 * server's RSS and V8 heap every 10 s. `--soak-minutes=`, `--soak-streams=`, `--soak-rate=`
 * shorten it.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createScratchDatabase } from '../test/utils/mysql';
import {
  appCookieFor,
  fmtLatencies,
  formSession,
  freshLoopbackAddress,
  latencies,
  Latencies,
  LoadProcess,
  now,
  option,
  PER_LOAD_PROCESS,
  procStat,
  seedUsersMysql,
  seedUsersSqlite,
  serverPort,
  Server,
  sleep,
  slices,
  startApp,
} from './lib';

const SENDERS = 20;
const SAMPLE_MS = 10_000;
/** Sends still waiting for an answer past this many are counted as skipped, not queued. */
const MAX_IN_FLIGHT = 1000;

/**
 * Written into the app process with --require: a line of its memoryUsage() every second, and
 * one after every major (mark-compact) GC with its pause, whose heap is what is really live:
 * between major GCs heap used only climbs, so a sample at an arbitrary time says little.
 */
const PROBE = `const fs = require('fs');
const { PerformanceObserver, constants } = require('perf_hooks');
const file = process.env.SOAK_PROBE_FILE;
const line = (kind, extra) => {
  const m = process.memoryUsage();
  fs.appendFileSync(file, JSON.stringify({ kind, at: Date.now(), rss: m.rss, heapUsed: m.heapUsed,
    heapTotal: m.heapTotal, ...extra }) + '\\n');
};
setInterval(() => line('sample', {}), 1000).unref();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      line('gc', { ms: e.duration });
    }
  }
}).observe({ entryTypes: ['gc'] });
`;

/** A major GC in the app: when (s since the first send), its pause, the heap and RSS after it. */
interface MajorGc {
  t: number;
  pauseMs: number;
  heapUsedMb: number;
  rssMb: number;
}

interface Sample {
  /** Seconds since the first send. */
  t: number;
  rssMb: number;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
  cpuSeconds: number;
  openStreams: number;
  eventsReceived: number;
}

interface ClientReport {
  userId: number;
  events: number;
  duplicates: number[];
  lastCount: number | null;
  lastEventId: string | null;
  outOfSequence: number;
  disconnects: number;
}

interface LoadReport {
  clients: ClientReport[];
  arrivals: [number, number, number, number][];
  open: number;
  failures: number;
  cpu: { user: number; system: number };
}

export interface SoakResult {
  date: string;
  database: string;
  streams: number;
  loadProcesses: number;
  ratePerSecond: number;
  minutes: number;
  connectFailures: number;
  sends: {
    attempted: number;
    accepted: number;
    statuses: Record<string, number>;
    serverErrors: number;
    networkErrors: number;
    skippedBehind: number;
    achievedPerSecond: number;
    latencyMs: Latencies;
  };
  events: {
    received: number;
    expected: number;
    lost: number;
    duplicated: number;
    outOfSequence: number;
    clientsLastCountNotDb: number;
    mismatches: { userId: number; lastCount: number | null; db: number; events: number }[];
    duplicateSamples: { userId: number; ids: number[] }[];
    disconnects: number;
    unmatchedEvents: number;
  };
  sendToEventMs: Latencies;
  memory: {
    /** Streams open, before the first send. */
    streamsConnectedRssMb: number;
    firstMinuteRssMb: number;
    lastMinuteRssMb: number;
    rssSlopeMbPerMin: number;
    /** Heap used after the first and the last major GC of the run (after warm-up). */
    heapAfterFirstMajorGcMb: number | null;
    heapAfterLastMajorGcMb: number | null;
    heapAfterMajorGcSlopeMbPerMin: number | null;
    maxGcPauseMs: number | null;
    majorGcs: MajorGc[];
    slopeFromSeconds: number;
    samples: Sample[];
  };
  cpu: {
    serverSeconds: number;
    serverPercentOfOneCore: number;
    serverSecondsPerMinute: number;
    loadProcessSeconds: number;
    senderSeconds: number;
  };
}

interface ProbeLine {
  kind: 'sample' | 'gc';
  at: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  ms?: number;
}

/** The probe's lines written after `since` (ms since the epoch). */
function readProbe(file: string, since: number): ProbeLine[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ProbeLine)
      .filter((line) => line.at > since);
  } catch {
    return []; // the probe has not written yet
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  if (points.length < 2) {
    return NaN;
  }
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return num / den;
}

async function dbUnreadCounts(
  database: { kind: 'sqlite'; file: string } | { kind: 'mysql'; url: string },
): Promise<Map<number, number>> {
  // The badge: unread messages over the user's conversations, blocked senders left out.
  const sql = `SELECT c.user_id AS userId, COUNT(*) AS unread FROM conversations c
    JOIN messages m ON m.recipient_id = c.user_id AND m.sender_id = c.peer_id
      AND m.timestamp > c.last_read_at
    WHERE NOT EXISTS (
      SELECT 1 FROM blocks b WHERE b.blocker_id = c.user_id AND b.blocked_id = c.peer_id)
    GROUP BY c.user_id`;
  let rows: { userId: number; unread: number }[];
  if (database.kind === 'sqlite') {
    const db = new Database(database.file, { readonly: true, timeout: 10_000 });
    rows = db.prepare(sql).all() as { userId: number; unread: number }[];
    db.close();
  } else {
    const connection = await createConnection(database.url);
    try {
      const [result] = await connection.query(sql);
      rows = result as { userId: number; unread: number }[];
    } finally {
      await connection.end();
    }
  }
  return new Map(rows.map((r) => [Number(r.userId), Number(r.unread)]));
}

function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      resolve();
      return;
    }
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

export async function soak(): Promise<SoakResult> {
  const streams = Number(option('soak-streams') ?? 10_000);
  const rate = Number(option('soak-rate') ?? 100);
  const minutes = Number(option('soak-minutes') ?? 5);
  const dbKind = option('soak-db') ?? 'sqlite';
  const dir = mkdtempSync(join(tmpdir(), 'microblog-soak-'));
  const probeFile = join(dir, 'memory.json');
  writeFileSync(join(dir, 'probe.js'), PROBE);
  const env = {
    NODE_OPTIONS: `--require ${join(dir, 'probe.js')}`,
    SOAK_PROBE_FILE: probeFile,
  };
  const userCount = streams + SENDERS + 10;
  let database: { kind: 'sqlite'; file: string } | { kind: 'mysql'; url: string };
  let drop = async () => {};
  let server: Server;
  if (dbKind === 'mysql') {
    const scratch = await createScratchDatabase();
    drop = scratch.drop;
    database = { kind: 'mysql', url: scratch.url };
    server = await startApp('app', serverPort(), scratch.url, { ...env, DB_POOL_SIZE: '20' });
    await seedUsersMysql(scratch.url, userCount);
  } else {
    const file = join(dir, 'soak.sqlite');
    database = { kind: 'sqlite', file };
    server = await startApp('app', serverPort(), `sqlite:${file}`, env);
    seedUsersSqlite(file, userCount);
  }
  const pid = server.child.pid!;
  const loads: LoadProcess[] = [];
  try {
    // Streamed users 2..streams+1 (user1 is the admin); the senders come after them.
    const userIds = Array.from({ length: streams }, (_, i) => i + 2);
    const senders = Array.from({ length: SENDERS }, (_, i) => streams + 2 + i);
    const groups = slices(userIds, Math.min(PER_LOAD_PROCESS, Math.ceil(streams / 2)));
    console.log(
      `soak: ${streams} streams from ${groups.length} load processes, ${dbKind}, ${rate} sends/s for ${minutes} min`,
    );
    loads.push(...groups.map(() => LoadProcess.start()));
    const connected = await Promise.all(
      loads.map((load, i) =>
        load.ask<{ started: number; finished: number; failures: number; open: number }>(
          {
            type: 'soak-connect',
            baseUrl: server.baseUrl,
            path: server.streamPath,
            clients: groups[i].map((userId) => ({ userId, cookie: appCookieFor(userId) })),
            localAddress: freshLoopbackAddress(),
            concurrency: 100,
          },
          'soak-connected',
        ),
      ),
    );
    const connectFailures = connected.reduce((s, r) => s + r.failures, 0);
    const open = connected.reduce((s, r) => s + r.open, 0);
    console.log(`connected: ${open} open, ${connectFailures} failures`);
    const sessions = await Promise.all(senders.map((s) => formSession(server, s, userIds[0])));
    await sleep(2000);

    const status = async () => {
      const replies = await Promise.all(
        loads.map((l) =>
          l.ask<{ open: number; events: number; disconnects: number }>(
            { type: 'soak-status' },
            'soak-status',
          ),
        ),
      );
      return {
        open: replies.reduce((s, r) => s + r.open, 0),
        events: replies.reduce((s, r) => s + r.events, 0),
        disconnects: replies.reduce((s, r) => s + r.disconnects, 0),
      };
    };
    const samples: Sample[] = [];
    const before = procStat(pid);
    const t0 = now();
    const t0Wall = Date.now();
    const cpu0 = before.cpuSeconds;
    const senderCpu0 = process.cpuUsage();
    const sample = async () => {
      const stat = procStat(pid);
      const lines = readProbe(probeFile, Date.now() - 5000).filter((l) => l.kind === 'sample');
      const heap = lines[lines.length - 1];
      const s = await status();
      samples.push({
        t: (now() - t0) / 1000,
        rssMb: stat.rssKb / 1024,
        heapUsedMb: heap ? heap.heapUsed / 2 ** 20 : null,
        heapTotalMb: heap ? heap.heapTotal / 2 ** 20 : null,
        cpuSeconds: stat.cpuSeconds - cpu0,
        openStreams: s.open,
        eventsReceived: s.events,
      });
      const last = samples[samples.length - 1];
      console.log(
        `t=${last.t.toFixed(0)}s rss=${last.rssMb.toFixed(0)}MB heap=${last.heapUsedMb?.toFixed(0) ?? '-'}MB ` +
          `cpu=${last.cpuSeconds.toFixed(1)}s open=${s.open} events=${s.events} disconnects=${s.disconnects} ` +
          `sent=${attempted} accepted=${accepted} inflight=${inFlight}`,
      );
    };

    // Open loop: send i is due at t0 + i / rate, whether or not earlier ones have answered.
    const total = Math.round(rate * minutes * 60);
    const statuses: Record<string, number> = {};
    const sentAt = new Map<number, number[]>();
    const sendTimes: number[] = [];
    let attempted = 0;
    let accepted = 0;
    let networkErrors = 0;
    let skipped = 0;
    let inFlight = 0;
    const pending = new Set<Promise<void>>();
    const send = (i: number) => {
      const recipient = userIds[i % userIds.length];
      const session = sessions[i % SENDERS];
      const started = now();
      attempted++;
      inFlight++;
      const p = fetch(`${server.baseUrl}/send_message/user${recipient}`, {
        method: 'POST',
        headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf_token: session.token, message: `soak ${i}` }),
        redirect: 'manual',
      })
        .then(async (res) => {
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 302) {
            accepted++;
            sendTimes.push(now() - started);
            // Sends to one user are streams / rate seconds apart: the k-th accepted one is
            // the one the event with count k answers.
            const list = sentAt.get(recipient) ?? [];
            list.push(started);
            sentAt.set(recipient, list);
          }
        })
        .catch(() => {
          networkErrors++;
        })
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    };
    const sampler = setInterval(() => void sample(), SAMPLE_MS);
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 0) {
        await sleep(wait);
      }
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      send(i);
    }
    const sendEnd = now();
    await Promise.all([...pending]);
    clearInterval(sampler);
    const cpuSeconds = procStat(pid).cpuSeconds - cpu0;
    const elapsed = (now() - t0) / 1000;
    const senderCpu = process.cpuUsage(senderCpu0);
    // Events of the last sends still on their way.
    await sleep(5000);
    await sample();
    const counts = await dbUnreadCounts(database);
    const reports = await Promise.all(
      loads.map((l) => l.ask<LoadReport>({ type: 'soak-report' }, 'soak-report')),
    );
    const clients = reports.flatMap((r) => r.clients);
    const arrivals = reports.flatMap((r) => r.arrivals);

    const mismatches: SoakResult['events']['mismatches'] = [];
    let lost = 0;
    let expected = 0;
    for (const c of clients) {
      const db = counts.get(c.userId) ?? 0;
      expected += db;
      lost += Math.max(0, db - c.events);
      if ((c.lastCount ?? 0) !== db) {
        mismatches.push({ userId: c.userId, lastCount: c.lastCount, db, events: c.events });
      }
    }
    const toEvent: number[] = [];
    let unmatched = 0;
    for (const [userId, count, , at] of arrivals) {
      const sent = sentAt.get(userId)?.[count - 1];
      if (sent === undefined) {
        unmatched++;
      } else {
        toEvent.push(at - sent);
      }
    }
    const firstMinute = samples.filter((s) => s.t <= 60);
    const lastMinute = samples.filter((s) => s.t >= elapsed - 60 && s.t <= elapsed + 1);
    // After a minute of warm-up when the run is long enough for that, else the whole run.
    const slopeFrom = minutes >= 3 ? 60 : 0;
    const steady = samples.filter((s) => s.t >= slopeFrom && s.t <= elapsed + 1);
    const majorGcs: MajorGc[] = readProbe(probeFile, t0Wall)
      .filter((l) => l.kind === 'gc')
      .map((l) => ({
        t: (l.at - t0Wall) / 1000,
        pauseMs: l.ms ?? 0,
        heapUsedMb: l.heapUsed / 2 ** 20,
        rssMb: l.rss / 2 ** 20,
      }));
    const steadyGcs = majorGcs.filter((g) => g.t >= slopeFrom && g.t <= elapsed + 1);
    const loadCpu = reports.reduce((s, r) => s + (r.cpu.user + r.cpu.system) / 1e6, 0);
    const serverErrors = Object.entries(statuses)
      .filter(([code]) => Number(code) >= 500)
      .reduce((s, [, n]) => s + n, 0);
    return {
      date: new Date().toISOString(),
      database: dbKind === 'mysql' ? 'MariaDB' : 'SQLite',
      streams,
      loadProcesses: loads.length,
      ratePerSecond: rate,
      minutes,
      connectFailures,
      sends: {
        attempted,
        accepted,
        statuses,
        serverErrors,
        networkErrors,
        skippedBehind: skipped,
        achievedPerSecond: attempted / ((sendEnd - t0) / 1000),
        latencyMs: latencies(sendTimes),
      },
      events: {
        received: clients.reduce((s, c) => s + c.events, 0),
        expected,
        lost,
        duplicated: clients.reduce((s, c) => s + c.duplicates.length, 0),
        outOfSequence: clients.reduce((s, c) => s + c.outOfSequence, 0),
        clientsLastCountNotDb: mismatches.length,
        mismatches: mismatches.slice(0, 50),
        duplicateSamples: clients
          .filter((c) => c.duplicates.length)
          .slice(0, 20)
          .map((c) => ({ userId: c.userId, ids: c.duplicates })),
        disconnects: clients.reduce((s, c) => s + c.disconnects, 0),
        unmatchedEvents: unmatched,
      },
      sendToEventMs: latencies(toEvent),
      memory: {
        streamsConnectedRssMb: before.rssKb / 1024,
        firstMinuteRssMb: mean(firstMinute.map((s) => s.rssMb)),
        lastMinuteRssMb: mean(lastMinute.map((s) => s.rssMb)),
        rssSlopeMbPerMin: slope(steady.map((s) => [s.t / 60, s.rssMb])),
        heapAfterFirstMajorGcMb: steadyGcs[0]?.heapUsedMb ?? null,
        heapAfterLastMajorGcMb: steadyGcs[steadyGcs.length - 1]?.heapUsedMb ?? null,
        heapAfterMajorGcSlopeMbPerMin:
          steadyGcs.length >= 2 ? slope(steadyGcs.map((g) => [g.t / 60, g.heapUsedMb])) : null,
        maxGcPauseMs: majorGcs.length ? Math.max(...majorGcs.map((g) => g.pauseMs)) : null,
        majorGcs,
        slopeFromSeconds: slopeFrom,
        samples,
      },
      cpu: {
        serverSeconds: cpuSeconds,
        serverPercentOfOneCore: (cpuSeconds / elapsed) * 100,
        serverSecondsPerMinute: (cpuSeconds / elapsed) * 60,
        loadProcessSeconds: loadCpu,
        senderSeconds: (senderCpu.user + senderCpu.system) / 1e6,
      },
    };
  } finally {
    loads.forEach((l) => l.close());
    await stopServer(server);
    await drop();
  }
}

export function soakTable(r: SoakResult): string {
  const f = (v: number | null, digits = 1) =>
    v === null || Number.isNaN(v) ? '-' : v.toFixed(digits);
  const e = r.events;
  return [
    `| database | streams (load processes) | duration | sends accepted / attempted (rate/s) | 5xx | events received / expected | lost | duplicated | clients last count ≠ DB | RSS MB first / last minute | RSS slope MB/min (from ${r.memory.slopeFromSeconds} s) | heap after major GC MB first / last (slope MB/min, GCs) | max GC pause ms | send→event p50/p95/p99/max ms | send (HTTP) p50/p95/p99/max ms | server CPU s (% of one core) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |',
    `| ${r.database} | ${r.streams} (${r.loadProcesses}) | ${r.minutes} min | ${r.sends.accepted} / ${r.sends.attempted} (${r.sends.achievedPerSecond.toFixed(1)}) | ` +
      `${r.sends.serverErrors} | ${e.received} / ${e.expected} | ${e.lost} | ${e.duplicated} | ${e.clientsLastCountNotDb} | ` +
      `${f(r.memory.firstMinuteRssMb, 0)} / ${f(r.memory.lastMinuteRssMb, 0)} | ${f(r.memory.rssSlopeMbPerMin, 2)} | ` +
      `${f(r.memory.heapAfterFirstMajorGcMb, 0)} / ${f(r.memory.heapAfterLastMajorGcMb, 0)} (${f(r.memory.heapAfterMajorGcSlopeMbPerMin, 2)}, ${r.memory.majorGcs.filter((g) => g.t >= r.memory.slopeFromSeconds).length}) | ${f(r.memory.maxGcPauseMs)} | ` +
      `${fmtLatencies(r.sendToEventMs)} | ${fmtLatencies(r.sends.latencyMs)} | ${f(r.cpu.serverSeconds)} (${f(r.cpu.serverPercentOfOneCore, 0)}%) |`,
    '',
    `Send statuses: ${JSON.stringify(r.sends.statuses)}; network errors ${r.sends.networkErrors}; ` +
      `sends skipped (over ${MAX_IN_FLIGHT} in flight) ${r.sends.skippedBehind}. Stream connect failures ${r.connectFailures}; ` +
      `streams that ended and were reopened ${e.disconnects}; counts not one above the previous ${e.outOfSequence}; ` +
      `events matching no send ${e.unmatchedEvents}. Load processes CPU ${f(r.cpu.loadProcessSeconds)} s, sender ${f(r.cpu.senderSeconds)} s.`,
    '',
    `RSS with the streams open, before the first send: ${r.memory.streamsConnectedRssMb.toFixed(0)} MB.`,
    'Memory: RSS from /proc every 10 s; heap from `process.memoryUsage()`, written by a probe loaded',
    'into the app with `--require` (bench/soak.ts, PROBE) once a second and after every major GC',
    '(a `PerformanceObserver` on `gc`). Between major GCs heap used and RSS only climb (a sawtooth),',
    'so minute means and their slope depend on where the GCs fall; the heap after each major GC',
    `(slope over those from ${r.memory.slopeFromSeconds} s on) is what stays live.`,
    '',
    '| major GC at s | pause ms | heap used after MB | RSS MB |',
    '| ---: | ---: | ---: | ---: |',
    ...r.memory.majorGcs.map(
      (g) =>
        `| ${g.t.toFixed(0)} | ${g.pauseMs.toFixed(1)} | ${g.heapUsedMb.toFixed(1)} | ${g.rssMb.toFixed(1)} |`,
    ),
    '',
    '| t s | RSS MB | heap used MB | heap total MB | server CPU s | open streams | events received |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.memory.samples.map(
      (s) =>
        `| ${s.t.toFixed(0)} | ${s.rssMb.toFixed(1)} | ${f(s.heapUsedMb)} | ${f(s.heapTotalMb)} | ${s.cpuSeconds.toFixed(1)} | ${s.openStreams} | ${s.eventsReceived} |`,
    ),
  ].join('\n');
}
