/**
 * Scenario 7: two app processes sharing MariaDB and a Redis of their own. Streams split over
 * both; messages sent through process 1 to users streaming from process 2; an announcement
 * sent through process 1 to everyone. Also measures scenario 5 on MariaDB (process 1).
 */
import { createScratchDatabase } from '../test/utils/mysql';
import { freePort, RedisProcess } from '../test/scaleout/app-process';
import { fanOut, sendLatency } from './capacity';
import {
  collect,
  connectStreams,
  Latencies,
  LoadProcess,
  procStat,
  seedUsersMysql,
  Server,
  sleep,
  startApp,
} from './lib';
import { throughput, ThroughputResult } from './throughput';

export interface ScaleOutResult {
  processes: number;
  streams: number;
  streamsPerProcess: number[];
  rssPerStreamKb: number[];
  connectPerSecond: number[];
  crossProcessSendToEventMs: Latencies;
  fanOutMs: { median: number; min: number; max: number; runs: number[] };
  failures: number;
  throughput: ThroughputResult;
}

export async function scaleOut(
  streamsPerProcess: number,
  latencyCount: number,
  throughputRounds: number,
  throughputWindowMs: number,
): Promise<ScaleOutResult> {
  const database = await createScratchDatabase();
  const redis = await RedisProcess.start();
  const apps: Server[] = [];
  const loads: LoadProcess[] = [];
  try {
    const env = { REDIS_URL: redis.url, DB_POOL_SIZE: '20' };
    apps.push(await startApp('app-1', await freePort(), database.url, env));
    const users = 2 * streamsPerProcess + 200;
    await seedUsersMysql(database.url, users);
    apps.push(
      await startApp('app-2', await freePort(), database.url, {
        ...env,
        DB_MIGRATIONS_RUN: 'false',
      }),
    );
    const groups = [0, 1].map((p) =>
      Array.from({ length: streamsPerProcess }, (_, i) => 2 + p * streamsPerProcess + i),
    );
    const warmUps = await Promise.all(
      apps.map((app, p) => connectStreams(app, groups[p].slice(0, 200))),
    );
    warmUps.forEach((w) => w.loads.forEach((l) => l.close()));
    await sleep(2000);
    const base = apps.map((app) => procStat(app.child.pid!).rssKb);
    const connected = await Promise.all(apps.map((app, p) => connectStreams(app, groups[p])));
    connected.forEach((c) => loads.push(...c.loads));
    await sleep(3000);
    const loaded = apps.map((app) => procStat(app.child.pid!).rssKb);
    const latency = await sendLatency(
      apps[0],
      loads,
      2 * streamsPerProcess + 30,
      groups[1],
      latencyCount,
    );
    const fan = await fanOut(apps[0], loads, 2 * streamsPerProcess, 3);
    await collect(loads);
    loads.splice(0).forEach((l) => l.close());
    await sleep(2000);
    const spare = Array.from({ length: 150 }, (_, i) => 2 * streamsPerProcess + 40 + i);
    console.log('  MariaDB write/read throughput (app-1)...');
    const mariadb = await throughput(
      apps[0],
      'MariaDB (+ Redis bus)',
      spare,
      throughputRounds,
      throughputWindowMs,
    );
    console.log(JSON.stringify(mariadb));
    return {
      processes: 2,
      streams: 2 * streamsPerProcess,
      streamsPerProcess: [streamsPerProcess, streamsPerProcess],
      rssPerStreamKb: apps.map((_, p) => (loaded[p] - base[p]) / streamsPerProcess),
      connectPerSecond: connected.map((c) => c.connectPerSecond),
      crossProcessSendToEventMs: latency,
      fanOutMs: fan.ms,
      failures: connected.reduce((sum, c) => sum + c.failures, 0) + fan.missed,
      throughput: mariadb,
    };
  } finally {
    loads.forEach((l) => l.close());
    apps.forEach((app) => app.child.kill('SIGTERM'));
    await sleep(1000);
    await redis.stop();
    await database.drop();
  }
}
