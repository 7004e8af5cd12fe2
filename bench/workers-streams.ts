/**
 * Streams per machine with WORKERS (issue 21): the app on a fresh SQLite file with 1 worker and
 * with one per core, each time --per-worker idle streams of distinct users per worker (default
 * 19,000: a process holds just under 20,000 sockets, its open-file limit), opened from load
 * processes on their own loopback addresses, then one announcement to everyone.
 *
 *   npx nest build && npx ts-node -T bench/workers-streams.ts [--per-worker=19000] [--workers=1,2]
 *
 * Per run: streams open and failed, connect/s, RSS of every app process together (the primary
 * and its workers), and whether the announcement reached every open stream (through the cluster
 * channel for the streams of the workers that did not commit it). Writes
 * bench/results/workers-streams.{json,md}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf } from '../test/utils/processes';
import { fanOut } from './capacity';
import {
  connectStreams,
  machineLine,
  option,
  procStat,
  seedUsersSqlite,
  serverPort,
  startApp,
  stopProcess,
} from './lib';

const PER_WORKER = Number(option('per-worker') ?? 19_000);
const WORKER_COUNTS = (option('workers') ?? `1,${availableParallelism()}`).split(',').map(Number);

interface WorkersStreamsRun {
  workers: number;
  attempted: number;
  open: number;
  failures: number;
  connectPerSecond: number;
  rssMb: number;
  rssPerStreamKb: number;
  announcementMs: number;
  announcementMissed: number;
}

async function run(workers: number): Promise<WorkersStreamsRun> {
  const streams = PER_WORKER * workers;
  const dir = mkdtempSync(join(tmpdir(), 'microblog-workers-streams-'));
  const file = join(dir, 'bench.sqlite');
  const app = await startApp('app', serverPort(), `sqlite:${file}`, { WORKERS: String(workers) });
  try {
    seedUsersSqlite(file, streams + 2);
    const rss = () =>
      [app.child.pid!, ...descendantsOf(app.child.pid!)].reduce(
        (sum, pid) => sum + procStat(pid).rssKb,
        0,
      );
    const idleKb = rss();
    console.log(`${workers} worker(s): ${streams} streams...`);
    const users = Array.from({ length: streams }, (_, i) => i + 2);
    const { loads, connectPerSecond, failures } = await connectStreams(app, users);
    try {
      const withStreamsKb = rss();
      const open = streams - failures;
      // Only the streams that opened can be reached: the announcement counts those.
      const fan = await fanOut(app, loads, open, 1);
      return {
        workers,
        attempted: streams,
        open,
        failures,
        connectPerSecond,
        rssMb: withStreamsKb / 1024,
        rssPerStreamKb: (withStreamsKb - idleKb) / Math.max(1, open),
        announcementMs: fan.ms.median,
        announcementMissed: fan.missed,
      };
    } finally {
      loads.forEach((l) => l.close());
    }
  } finally {
    await stopProcess(app.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function markdown(result: { date: string; machine: string; runs: WorkersStreamsRun[] }): string {
  return [
    `# Streams per machine with WORKERS (${result.date})`,
    '',
    `Machine: ${result.machine}. \`npx ts-node -T bench/workers-streams.ts --per-worker=${PER_WORKER}\`.`,
    '',
    '| workers | streams attempted | open | failed | connect/s | RSS MB, all processes | RSS KB per stream | announcement to all: ms until the last stream | streams it missed |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.runs.map(
      (r) =>
        `| ${r.workers} | ${r.attempted} | ${r.open} | ${r.failures} | ${r.connectPerSecond.toFixed(0)} | ` +
        `${r.rssMb.toFixed(0)} | ${r.rssPerStreamKb.toFixed(1)} | ${r.announcementMs.toFixed(0)} | ${r.announcementMissed} |`,
    ),
    '',
    'A process holds just under 20,000 sockets here (the open-file limit), so one worker holds',
    'about 19,000 streams; with a worker per core each holds its share (the primary hands',
    'connections to the workers in turn).',
  ].join('\n');
}

async function main(): Promise<void> {
  const result = {
    date: new Date().toISOString(),
    machine: machineLine(),
    runs: [] as WorkersStreamsRun[],
  };
  for (const workers of WORKER_COUNTS) {
    result.runs.push(await run(workers));
    console.log(JSON.stringify(result.runs.at(-1)));
  }
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(
    join(__dirname, 'results', 'workers-streams.json'),
    JSON.stringify(result, null, 2),
  );
  writeFileSync(join(__dirname, 'results', 'workers-streams.md'), markdown(result) + '\n');
  console.log(markdown(result));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
