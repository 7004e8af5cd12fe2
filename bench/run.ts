/**
 * `npm run bench` (quick, ~3 min) or `npm run bench -- --full`: starts the production build of
 * the app on a fresh SQLite database next to two reference servers, the bare Nest `@Sse` server
 * (bench/bare-sse-server.ts) and the node:http floor (bench/floor-server.ts), then two
 * app processes on MariaDB + Redis, drives them from separate load processes on 127.0.x.y,
 * and writes bench/results/<profile>.json and .md. Benchmarks print figures; nothing here
 * passes or fails. `--sizes=` and `--scenarios=` narrow a run. `--soak` runs only the soak
 * (bench/soak.ts: 10,000 streams, 100 sends/s for 5 minutes; `--soak-minutes=`,
 * `--soak-streams=`, `--soak-rate=`, `--soak-db=mysql`). The `sends` scenario runs bench/sends.ts
 * (quick: 5 s per run) with 1 worker and one per core, on SQLite and, where it answers, MariaDB.
 * Every run ends with issue 21's targets as ratios (bench/targets.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  beyondCeiling,
  capacityRatios,
  capacityRun,
  capacityTable,
  CapacityRow,
  pollingBaseline,
  sseMachineryTable,
} from './capacity';
import { growth, growthTable, replayGrowth } from './growth';
import {
  fmtLatencies,
  fmtRepeated,
  FULL,
  machineLine,
  option,
  seedUsersSqlite,
  Server,
  serverPort,
  startApp,
  startBareSse,
  startFloor,
} from './lib';
import { mysqlAnswers, TEST_MYSQL_URL } from '../test/utils/mysql';
import { scaleOut, ScaleOutResult } from './scale-out';
import { soak, soakTable } from './soak';
import { SendsRow, targetsTable } from './targets';
import { throughput, throughputTable } from './throughput';

const SCENARIOS = option('scenarios')?.split(',') ?? [
  'capacity',
  'throughput',
  'growth',
  'scale-out',
  'sends',
];
const wants = (name: string) => SCENARIOS.includes(name);

function scaleOutTable(r: ScaleOutResult): string {
  return [
    '| processes | streams (per process) | RSS/stream KB per process | connect/s per process | cross-process send→event p50/p95/p99/max ms | fan-out to all ms, median (min–max) | failures |',
    '| ---: | ---: | --- | --- | --- | ---: | ---: |',
    `| ${r.processes} | ${r.streams} (${r.streamsPerProcess.join(' + ')}) | ${r.rssPerStreamKb.map((v) => v.toFixed(1)).join(' / ')} | ` +
      `${r.connectPerSecond.map((v) => v.toFixed(0)).join(' / ')} | ${fmtLatencies(r.crossProcessSendToEventMs)} | ${fmtRepeated(r.fanOutMs)} | ${r.failures} |`,
  ].join('\n');
}

async function stop(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise((resolve) => {
          if (server.child.exitCode !== null || server.child.signalCode !== null) {
            resolve(null);
            return;
          }
          server.child.once('exit', resolve);
          server.child.kill('SIGTERM');
        }),
    ),
  );
}

/** MariaDB/MySQL (TEST_MYSQL_URL) and a redis-server binary; null when both are there. */
async function scaleOutPrerequisiteMissing(): Promise<string | null> {
  if (!(await mysqlAnswers())) {
    return `no MySQL/MariaDB answers at ${TEST_MYSQL_URL}`;
  }
  const redis = spawnSync('redis-server', ['--version']);
  return redis.status === 0 ? null : 'no redis-server on PATH (apt-get install -y redis-server)';
}

/**
 * bench/sends.ts in a process of its own (quick runs, 16 senders) with 1 worker and one per
 * core: its results file is `<name>-sends`, its runs come back for the targets.
 */
async function sendsWithWorkers(name: string): Promise<SendsRow[]> {
  const databases = (await mysqlAnswers()) ? 'sqlite,mariadb' : 'sqlite';
  const out = `${name}-sends`;
  const run = spawnSync(
    process.execPath,
    [
      ...['-r', 'ts-node/register/transpile-only', join(__dirname, 'sends.ts'), '--quick'],
      ...[`--workers=1,${availableParallelism()}`, '--clients=16', `--databases=${databases}`],
      `--out=${out}`,
    ],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) {
    throw new Error(`bench/sends.ts failed (${run.status ?? run.signal})`);
  }
  const written = readFileSync(join(__dirname, 'results', `${out}.json`), 'utf8');
  return (JSON.parse(written) as { runs: SendsRow[] }).runs;
}

/** `--soak`: the soak alone (bench/soak.ts), into bench/results/<--name or soak>.{json,md}. */
async function runSoak(): Promise<void> {
  const result = {
    machine: machineLine(),
    ...(await soak()),
  };
  const markdown = [
    `# Soak (${result.date})`,
    '',
    `Machine: ${result.machine}.`,
    '',
    soakTable(result),
    '',
    '## Issue 21 targets',
    '',
    targetsTable({ soak: result }),
  ];
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const name = option('name') ?? 'soak';
  writeFileSync(join(__dirname, 'results', `${name}.json`), JSON.stringify(result, null, 2));
  writeFileSync(join(__dirname, 'results', `${name}.md`), markdown.join('\n') + '\n');
  console.log(`\n${markdown.join('\n')}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--soak')) {
    return runSoak();
  }
  const sizes =
    option('sizes')?.split(',').map(Number) ?? (FULL ? [1000, 5000, 10_000, 19_000] : [1000]);
  const maxSize = Math.max(...sizes);
  const dir = mkdtempSync(join(tmpdir(), 'microblog-bench-'));
  const databaseFile = join(dir, 'bench.sqlite');
  const startSqliteApp = () => startApp('app', serverPort(), `sqlite:${databaseFile}`);
  const running: Server[] = [await startSqliteApp()];
  // Past the largest run (and the 20,500 of the open-file-limit probe) come users of their own.
  const userBase = Math.max(maxSize, FULL ? 20_600 : 0);
  seedUsersSqlite(databaseFile, userBase + 400);
  const spare = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => userBase + from + i);
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    profile: FULL ? 'full' : 'quick',
    machine: machineLine(),
  };
  const markdown: string[] = [
    `# Bench results (${result.profile as string}, ${result.date as string})`,
    '',
    `Machine: ${result.machine as string}.`,
  ];
  try {
    const app = async () => {
      if (running[0]?.name !== 'app') {
        await stop(running.splice(0));
        running.push(await startSqliteApp());
      }
      return running[0];
    };
    if (wants('capacity')) {
      const rows: CapacityRow[] = [];
      // A fresh process for every run: memory a process once held is not given back, so a
      // reused one would hide the cost of the next run's streams.
      for (const n of sizes) {
        for (const start of [
          () => startFloor(serverPort()),
          () => startBareSse(serverPort()),
          startSqliteApp,
        ]) {
          await stop(running.splice(0));
          running.push(await start());
          console.log(`${running[0].name}: ${n} streams...`);
          rows.push(await capacityRun(running[0], n));
          console.log(JSON.stringify(rows[rows.length - 1]));
        }
      }
      if (FULL) {
        console.log('app: 20,500 streams, past the open-file limit...');
        result.beyondCeiling = await beyondCeiling(await app(), 20_500);
        console.log(JSON.stringify(result.beyondCeiling));
      }
      const pollN = FULL ? 10_000 : 1000;
      const window = FULL ? 60_000 : 20_000;
      console.log(`polling baseline: ${pollN} clients for ${window / 1000} s...`);
      const polling = await pollingBaseline(
        await app(),
        Array.from({ length: pollN }, (_, i) => i + 2),
        window,
      );
      const sse = rows.find((r) => r.server === 'app' && r.streams === pollN);
      const comparison = {
        ...polling,
        sseIdleCpuSecondsPerMinute: sse?.idleCpuSecondsPerMinute ?? null,
        cpuRatioPollingToSse: sse
          ? polling.cpuSecondsPerMinute / sse.idleCpuSecondsPerMinute
          : null,
        sseRequestsPerSecondIdle: 0,
        pollingDeliveryLatencyMs: { mean: 5000, worst: 10_000 },
        sseDeliveryLatencyMs: sse?.latency ?? null,
      };
      result.capacity = rows;
      result.capacityRatios = capacityRatios(rows);
      result.polling = comparison;
      markdown.push(
        '',
        '## SSE capacity, fan-out and send→event latency (scenarios 1–3)',
        '',
        capacityTable(rows),
        '',
        "### What Nest's `@Sse` machinery costs (bare `@Sse` server vs the node:http floor)",
        '',
        sseMachineryTable(rows),
        ...(result.beyondCeiling
          ? ['', `Past the open-file limit: ${JSON.stringify(result.beyondCeiling)}`]
          : []),
        '',
        `## Polling baseline at ${pollN} clients (scenario 4)`,
        '',
        '| client | server CPU s/min | requests/s | delivery latency |',
        '| --- | ---: | ---: | --- |',
        `| tutorial polling, every 10 s | ${polling.cpuSecondsPerMinute.toFixed(2)} | ${polling.requestsPerSecond.toFixed(0)} | mean ~5 s, worst ~10 s (the interval) |`,
        `| SSE, idle streams | ${sse?.idleCpuSecondsPerMinute.toFixed(2) ?? '-'} | 0 | send→event p50/p95/p99/max ${fmtLatencies(sse?.latency)} ms |`,
        '',
        `CPU ratio polling / SSE: ${comparison.cpuRatioPollingToSse?.toFixed(0) ?? '-'}x.`,
      );
    }
    const throughputs = [];
    if (wants('throughput')) {
      console.log('SQLite write/read throughput...');
      throughputs.push(
        await throughput(await app(), 'SQLite', spare(50, 150), FULL ? 3 : 2, FULL ? 10_000 : 4000),
      );
      console.log(JSON.stringify(throughputs[0]));
    }
    if (wants('growth')) {
      const messageSizes = FULL ? [1e3, 1e4, 1e5, 1e6] : [1e3, 1e4, 1e5];
      console.log(`growth: messages ${messageSizes.join(', ')}...`);
      const rows = await growth(
        await app(),
        databaseFile,
        messageSizes,
        userBase + 300,
        spare(301, 90),
      );
      const replays = await replayGrowth(
        await app(),
        databaseFile,
        userBase + 395,
        FULL ? [10, 100, 1000, 10_000] : [10, 100, 1000],
      );
      result.growth = { rows, replays };
      markdown.push('', '## Growth (scenario 6, SQLite)', '', growthTable(rows, replays));
    }
    const scaleOutMissing = wants('scale-out') ? await scaleOutPrerequisiteMissing() : null;
    if (scaleOutMissing) {
      console.warn(`\n!!! SKIPPING the two-process scenario: ${scaleOutMissing}\n`);
      result.scaleOut = { skipped: scaleOutMissing };
      markdown.push('', `## Two processes (scenario 7): skipped, ${scaleOutMissing}`);
    } else if (wants('scale-out')) {
      const perProcess = FULL ? 19_000 : 1000;
      console.log(`two processes + Redis: ${perProcess} streams each...`);
      const scaled = await scaleOut(
        perProcess,
        FULL ? 1000 : 200,
        FULL ? 3 : 2,
        FULL ? 10_000 : 4000,
      );
      throughputs.push(scaled.throughput);
      result.scaleOut = scaled;
      markdown.push(
        '',
        '## Two processes, MariaDB + Redis (scenario 7)',
        '',
        scaleOutTable(scaled),
      );
    }
    const name = option('name') ?? (FULL ? 'full' : 'quick');
    if (wants('sends')) {
      await stop(running.splice(0));
      console.log('sends with 1 worker and one per core...');
      result.sends = await sendsWithWorkers(name);
      markdown.push(
        '',
        '## Sends with 1 and N workers',
        '',
        `See \`bench/results/${name}-sends.md\`.`,
      );
    }
    markdown.push(
      '',
      '## Issue 21 targets',
      '',
      targetsTable({
        capacity: result.capacity as CapacityRow[] | undefined,
        sends: result.sends as SendsRow[] | undefined,
      }),
    );
    if (throughputs.length) {
      result.throughput = throughputs;
      markdown.push(
        '',
        '## Write and read throughput, full stack (scenario 5)',
        '',
        throughputTable(throughputs),
      );
    }
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', `${name}.json`), JSON.stringify(result, null, 2));
    writeFileSync(join(__dirname, 'results', `${name}.md`), markdown.join('\n') + '\n');
    console.log(JSON.stringify(result));
    console.log(`\n${markdown.join('\n')}`);
  } finally {
    await stop(running);
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
