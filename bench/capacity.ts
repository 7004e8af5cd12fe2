/**
 * Scenarios 1-4: idle streams (memory, CPU, connect rate), send-to-event latency, fan-out of
 * one announcement to everyone, and the tutorial's polling client at the same N. The app is
 * measured beside two reference servers speaking the floor's contract: the bare Nest `@Sse`
 * server (bench/bare-sse-server.ts) and the node:http floor (bench/floor-server.ts).
 */
import {
  appCookieFor,
  collect,
  connectStreams,
  FULL,
  fmtLatencies,
  fmtRepeated,
  formSession,
  freshLoopbackAddress,
  latencies,
  Latencies,
  LoadProcess,
  now,
  procStat,
  Received,
  repeated,
  Repeated,
  Server,
  sleep,
  slices,
} from './lib';

/** One announcement to every connected user, `repeats` times: time until the last has it. */
export async function fanOut(server: Server, loads: LoadProcess[], users: number, repeats: number) {
  const runs: number[] = [];
  let missed = 0;
  for (let run = 0; run < repeats; run++) {
    await collect(loads);
    const started = now();
    if (server.api === 'floor') {
      await fetch(`${server.baseUrl}/broadcast`, { method: 'POST' });
    } else {
      const res = await fetch(`${server.baseUrl}/api/admin/notifications`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${appCookieFor(1).slice('mb_token='.length)}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ user: 'all', name: 'announcement', data: { message: `#${run}` } }),
      });
      if (res.status !== 201) {
        throw new Error(`announcement failed: ${res.status} ${await res.text()}`);
      }
    }
    const deadline = Date.now() + 120_000;
    const reached = new Map<number, number>();
    while (Date.now() < deadline && reached.size < users) {
      await sleep(200);
      for (const e of (await collect(loads)).events) {
        if (e.name === 'announcement') {
          reached.set(e.userId, Math.max(reached.get(e.userId) ?? 0, e.at));
        }
      }
    }
    runs.push(Math.max(...reached.values()) - started);
    missed += users - reached.size;
  }
  return { ms: repeated(runs), missed };
}

/**
 * `count` messages to the connected `recipients` in turn: time from the request to the
 * recipient's unread_message_count event. To the app they go over HTTP as the browser form posts
 * them (CSRF token included), from `sender`; to a reference server, as `POST /publish?user=`.
 */
export async function sendLatency(
  via: Server,
  loads: LoadProcess[],
  sender: number,
  recipients: number[],
  count: number,
): Promise<Latencies> {
  const session = via.api === 'app' ? await formSession(via, sender, recipients[0]) : undefined;
  const send = (recipient: number, i: number) =>
    session
      ? fetch(`${via.baseUrl}/send_message/user${recipient}`, {
          method: 'POST',
          headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf_token: session.token, message: `bench ${i}` }),
          redirect: 'manual',
        })
      : fetch(`${via.baseUrl}/publish?user=${recipient}`, { method: 'POST' });
  await collect(loads);
  const sentAt = new Map<number, number>();
  const times: number[] = [];
  const take = (events: Received[]) => {
    for (const e of events) {
      const sent = sentAt.get(e.userId);
      if (e.name === 'unread_message_count' && sent !== undefined) {
        times.push(e.at - sent);
        sentAt.delete(e.userId);
      }
    }
  };
  for (let i = 0; i < count; i++) {
    const recipient = recipients[i % recipients.length];
    sentAt.set(recipient, now());
    const res = await send(recipient, i);
    if (res.status !== (session ? 302 : 200)) {
      throw new Error(`send failed: ${res.status}`);
    }
    if (i % 50 === 49) {
      take((await collect(loads)).events);
    }
  }
  await sleep(500);
  take((await collect(loads)).events);
  return latencies(times);
}

async function idleCpu(pid: number, windowMs: number): Promise<number> {
  const before = procStat(pid).cpuSeconds;
  await sleep(windowMs);
  return ((procStat(pid).cpuSeconds - before) / windowMs) * 60_000;
}

/** The tutorial's client: GET /notifications?since= every 10 s per user, phases spread. */
export async function pollingBaseline(server: Server, userIds: number[], windowMs: number) {
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
          localAddress: freshLoopbackAddress(),
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
  return {
    clients: userIds.length,
    cpuSecondsPerMinute: cpuPerMinute,
    requestsPerSecond: requests / (windowMs / 1000),
    failures: results.reduce((sum, r) => sum + r.failures, 0),
  };
}

export interface CapacityRow {
  server: string;
  streams: number;
  rssPerStreamKb: number;
  rssMb: number;
  connectPerSecond: number;
  fanOutMs: Repeated;
  idleCpuSecondsPerMinute: number;
  loadCpuSeconds: number;
  failures: number;
  latency?: Latencies;
  /** How `latency` was sent: the app's send form, or a reference server's `POST /publish`. */
  latencyVia?: 'send form' | 'publish';
}

export async function capacityRun(server: Server, streams: number): Promise<CapacityRow> {
  const pid = server.child.pid!;
  const userIds = Array.from({ length: streams }, (_, i) => i + 2);
  // Warm-up (code compiled, pools and caches filled) before the baseline is taken.
  const warmUp = await connectStreams(server, userIds.slice(0, 200));
  warmUp.loads.forEach((l) => l.close());
  await sleep(2000);
  const base = procStat(pid);
  const { loads, connectPerSecond, failures } = await connectStreams(server, userIds);
  await sleep(3000);
  const loaded = procStat(pid);
  const idle = await idleCpu(pid, FULL ? 20_000 : 5_000);
  const fan = await fanOut(server, loads, streams, FULL ? 5 : 3);
  // Sent by a user without a stream, to the connected ones in turn, heartbeats going out.
  const latency = await sendLatency(server, loads, streams + 2, userIds, FULL ? 1000 : 200);
  const { clientCpuSeconds } = await collect(loads);
  loads.forEach((l) => l.close());
  await sleep(2000);
  return {
    server: server.name,
    streams,
    rssPerStreamKb: (loaded.rssKb - base.rssKb) / streams,
    rssMb: loaded.rssKb / 1024,
    connectPerSecond,
    fanOutMs: fan.ms,
    idleCpuSecondsPerMinute: idle,
    loadCpuSeconds: clientCpuSeconds,
    failures: failures + fan.missed,
    latency,
    latencyVia: server.api === 'app' ? 'send form' : 'publish',
  };
}

/** What each server is compared with: the app with both reference servers, bare @Sse with the floor. */
export const baselinesOf = (server: string): string[] =>
  server === 'floor' ? [] : server === 'bare-sse' ? ['floor'] : ['bare-sse', 'floor'];

const LABEL: Record<string, string> = { 'bare-sse': 'bare @Sse', floor: 'floor' };
const label = (server: string) => LABEL[server] ?? server;

/** One server's figures over a baseline's at the same size (null where there is nothing to divide). */
export interface CapacityRatio {
  server: string;
  baseline: string;
  streams: number;
  rssPerStream: number | null;
  connectRate: number | null;
  fanOutMedian: number | null;
  sendToEventP99: number | null;
  failures: number;
  baselineFailures: number;
}

const divide = (value?: number, by?: number) =>
  value !== undefined && by && Number.isFinite(value / by) ? value / by : null;

export function capacityRatios(rows: CapacityRow[]): CapacityRatio[] {
  return rows.flatMap((r) =>
    baselinesOf(r.server).flatMap((baseline) => {
      const b = rows.find((x) => x.server === baseline && x.streams === r.streams);
      return b
        ? [
            {
              server: r.server,
              baseline,
              streams: r.streams,
              rssPerStream: divide(r.rssPerStreamKb, b.rssPerStreamKb),
              connectRate: divide(r.connectPerSecond, b.connectPerSecond),
              fanOutMedian: divide(r.fanOutMs.median, b.fanOutMs.median),
              sendToEventP99: divide(r.latency?.p99, b.latency?.p99),
              failures: r.failures,
              baselineFailures: b.failures,
            },
          ]
        : [];
    }),
  );
}

export function capacityTable(rows: CapacityRow[]): string {
  const ratios = capacityRatios(rows);
  const lines = [
    '| server | streams | RSS MB | RSS/stream KB (ratios) | connect/s (ratios) | fan-out ms, median (min–max) (ratios) | idle CPU s/min | send→event p50/p95/p99/max ms (p99 ratios) | load CPU s | failures |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of rows) {
    const mine = ratios.filter((x) => x.server === r.server && x.streams === r.streams);
    const ratio = (pick: (x: CapacityRatio) => number | null) => {
      const parts = mine.flatMap((x) => {
        const value = pick(x);
        return value === null ? [] : [`${value.toFixed(2)}x ${label(x.baseline)}`];
      });
      return parts.length ? ` (${parts.join(', ')})` : '';
    };
    lines.push(
      `| ${label(r.server)} | ${r.streams} | ${r.rssMb.toFixed(0)} | ${r.rssPerStreamKb.toFixed(1)}${ratio((x) => x.rssPerStream)} | ` +
        `${r.connectPerSecond.toFixed(0)}${ratio((x) => x.connectRate)} | ` +
        `${fmtRepeated(r.fanOutMs)}${ratio((x) => x.fanOutMedian)} | ${r.idleCpuSecondsPerMinute.toFixed(2)} | ` +
        `${fmtLatencies(r.latency)}${ratio((x) => x.sendToEventP99)} | ${r.loadCpuSeconds.toFixed(1)} | ${r.failures} |`,
    );
  }
  return [
    ...lines,
    '',
    'Ratios are to the servers measured at the same size in the same run: the app to the bare',
    'Nest `@Sse` server (bench/bare-sse-server.ts) and to the node:http floor (bench/floor-server.ts),',
    'the bare `@Sse` server to the floor. send→event: to the app a message through the send form',
    '(CSRF, JWT, a transaction, then the event); to the bare `@Sse` server and the floor a',
    "`POST /publish?user=`, so the app's p99 ratios include its whole write path. All three send",
    'comment heartbeats, spread over the same interval, while this is measured.',
  ].join('\n');
}

/**
 * What Nest's `@Sse` machinery costs over plain node:http: the bare `@Sse` server against the
 * floor, per idle stream (RSS) and per event delivered to one stream (fan-out time / streams).
 */
export function sseMachineryTable(rows: CapacityRow[]): string {
  const lines = [
    '| streams | RSS/stream KB: bare @Sse vs floor | fan-out µs per stream per event: bare @Sse vs floor | connect/s: bare @Sse vs floor | publish→event p99 ms: bare @Sse vs floor |',
    '| ---: | --- | --- | --- | --- |',
  ];
  const compare = (mine: number, floor: number, digits: number) =>
    `${mine.toFixed(digits)} vs ${floor.toFixed(digits)}: ${mine - floor >= 0 ? '+' : ''}${(mine - floor).toFixed(digits)} (${(mine / floor).toFixed(2)}x)`;
  for (const bare of rows.filter((r) => r.server === 'bare-sse')) {
    const floor = rows.find((r) => r.server === 'floor' && r.streams === bare.streams);
    if (!floor) {
      continue;
    }
    const perEvent = (r: CapacityRow) => (r.fanOutMs.median * 1000) / r.streams;
    lines.push(
      `| ${bare.streams} | ${compare(bare.rssPerStreamKb, floor.rssPerStreamKb, 1)} | ` +
        `${compare(perEvent(bare), perEvent(floor), 1)} | ` +
        `${compare(bare.connectPerSecond, floor.connectPerSecond, 0)} | ` +
        `${bare.latency && floor.latency ? compare(bare.latency.p99, floor.latency.p99, 1) : '-'} |`,
    );
  }
  return lines.join('\n');
}

/**
 * What breaks first: more streams than the per-process open-file limit allows. Reports how
 * many connected, whether /health still answers at the ceiling and once the clients are gone.
 */
export async function beyondCeiling(server: Server, streams: number) {
  const userIds = Array.from({ length: streams }, (_, i) => i + 2);
  const { loads, failures } = await connectStreams(server, userIds);
  const probe = async () => {
    try {
      const res = await fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(5000) });
      return `${res.status} ${await res.text()}`;
    } catch (error) {
      return `no answer (${(error as Error).message})`;
    }
  };
  const atCeiling = await probe();
  const rssMb = procStat(server.child.pid!).rssKb / 1024;
  loads.forEach((l) => l.close());
  await sleep(3000);
  return {
    attempted: streams,
    failures,
    rssMb,
    healthAtCeiling: atCeiling,
    healthAfter: await probe(),
  };
}
