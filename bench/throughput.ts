/** Scenario 5: messages per second through the whole stack, and /messages page reads. */
import {
  fmtLatencies,
  fmtRepeated,
  formSession,
  latencies,
  Latencies,
  LoadProcess,
  procStat,
  repeated,
  Repeated,
  Server,
} from './lib';

const SENDERS = 16;

export interface ThroughputResult {
  database: string;
  senders: number;
  writesPerSecond: Repeated;
  writeLatencyMs: Latencies;
  /** Server CPU seconds per 1,000 messages. */
  writeCpuPer1000: number;
  readsPerSecond: Repeated;
  readLatencyMs: Latencies;
  failures: number;
}

/**
 * SENDERS concurrent form posts (CSRF token and all) to varied recipients, then as many
 * concurrent inbox readers (GET /messages, which also marks the inbox read), `rounds` windows
 * each. `users` are ids with no stream attached.
 */
export async function throughput(
  server: Server,
  database: string,
  users: number[],
  rounds: number,
  windowMs: number,
): Promise<ThroughputResult> {
  const senders = users.slice(0, SENDERS);
  const recipients = users.slice(SENDERS);
  const sessions = await Promise.all(
    senders.map(async (sender, s) => ({
      ...(await formSession(server, sender, recipients[0])),
      recipients: recipients.filter((_, i) => i % SENDERS === s),
    })),
  );
  const load = LoadProcess.start();
  const pid = server.child.pid!;
  const writeRuns: number[] = [];
  const readRuns: number[] = [];
  let writeTimes: number[] = [];
  let readTimes: number[] = [];
  let cpu = 0;
  let failures = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const before = procStat(pid).cpuSeconds;
      const written = await load.ask<{ times: number[]; failures: number }>(
        { type: 'write', baseUrl: server.baseUrl, senders: sessions, durationMs: windowMs },
        'written',
      );
      cpu += procStat(pid).cpuSeconds - before;
      writeRuns.push(written.times.length / (windowMs / 1000));
      writeTimes = writeTimes.concat(written.times);
      const read = await load.ask<{ times: number[]; failures: number }>(
        {
          type: 'read',
          baseUrl: server.baseUrl,
          cookies: recipients.slice(0, SENDERS).map((id) => server.cookieFor(id)),
          path: '/messages',
          durationMs: windowMs,
        },
        'read',
      );
      readRuns.push(read.times.length / (windowMs / 1000));
      readTimes = readTimes.concat(read.times);
      failures += written.failures + read.failures;
    }
  } finally {
    load.close();
  }
  return {
    database,
    senders: SENDERS,
    writesPerSecond: repeated(writeRuns),
    writeLatencyMs: latencies(writeTimes),
    writeCpuPer1000: (cpu / writeTimes.length) * 1000,
    readsPerSecond: repeated(readRuns),
    readLatencyMs: latencies(readTimes),
    failures,
  };
}

export function throughputTable(results: ThroughputResult[]): string {
  return [
    '| database | concurrent clients | messages/s median (min–max) | send p50/p95/p99/max ms | server CPU s per 1,000 messages | /messages reads/s median (min–max) | read p50/p95/p99/max ms | failures |',
    '| --- | ---: | ---: | --- | ---: | ---: | --- | ---: |',
    ...results.map(
      (r) =>
        `| ${r.database} | ${r.senders} | ${fmtRepeated(r.writesPerSecond)} | ${fmtLatencies(r.writeLatencyMs)} | ` +
        `${r.writeCpuPer1000.toFixed(2)} | ${fmtRepeated(r.readsPerSecond)} | ${fmtLatencies(r.readLatencyMs)} | ${r.failures} |`,
    ),
  ].join('\n');
}
