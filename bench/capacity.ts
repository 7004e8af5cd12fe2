/**
 * Scenarios 1-4: idle streams (memory, CPU, connect rate), send-to-event latency, fan-out of
 * one announcement to everyone, and the tutorial's polling client at the same N.
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
    if (server.name === 'floor') {
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
 * `count` messages over HTTP, as the browser form posts them (CSRF token included), from
 * `sender` to the connected `recipients` in turn: time from the request to the recipient's
 * unread_message_count event.
 */
export async function sendLatency(
  via: Server,
  loads: LoadProcess[],
  sender: number,
  recipients: number[],
  count: number,
): Promise<Latencies> {
  const session = await formSession(via, sender, recipients[0]);
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
    const res = await fetch(`${via.baseUrl}/send_message/user${recipient}`, {
      method: 'POST',
      headers: { Cookie: session.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: session.token, message: `bench ${i}` }),
      redirect: 'manual',
    });
    if (res.status !== 302) {
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
  // Sent by a user without a stream, to the connected ones in turn.
  const latency =
    server.name === 'floor'
      ? undefined
      : await sendLatency(server, loads, streams + 2, userIds, FULL ? 1000 : 200);
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
  };
}

export function capacityTable(rows: CapacityRow[]): string {
  const lines = [
    '| server | streams | RSS MB | RSS/stream KB (x floor) | connect/s (x floor) | fan-out ms, median (min–max) (x floor) | idle CPU s/min | send→event p50/p95/p99/max ms | load CPU s | failures |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of rows) {
    const f = rows.find((x) => x.server === 'floor' && x.streams === r.streams);
    const ratio = (value: number, floor?: number) =>
      f && r.server !== 'floor' && floor ? ` (${(value / floor).toFixed(2)}x)` : '';
    lines.push(
      `| ${r.server} | ${r.streams} | ${r.rssMb.toFixed(0)} | ${r.rssPerStreamKb.toFixed(1)}${ratio(r.rssPerStreamKb, f?.rssPerStreamKb)} | ` +
        `${r.connectPerSecond.toFixed(0)}${ratio(r.connectPerSecond, f?.connectPerSecond)} | ` +
        `${fmtRepeated(r.fanOutMs)}${ratio(r.fanOutMs.median, f?.fanOutMs.median)} | ${r.idleCpuSecondsPerMinute.toFixed(2)} | ` +
        `${fmtLatencies(r.latency)} | ${r.loadCpuSeconds.toFixed(1)} | ${r.failures} |`,
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
