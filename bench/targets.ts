import { CapacityRow, capacityRatios } from './capacity';
import type { SoakResult } from './soak';

/**
 * Issue 21's targets as ratios, from what one `npm run bench` measured: each row says the
 * figure, the target and whether it was met, or that this run did not measure it.
 */

/** The tutorial's Flask app with 4 gunicorn workers, 16 senders, measured on this machine (issue 21). */
export const FLASK_SENDS_PER_SECOND = { SQLite: 157, MariaDB: 237 } as const;

/** A send run as bench/sends.ts writes it (the fields used here). */
export interface SendsRow {
  database: 'SQLite' | 'MariaDB';
  workers?: number;
  clients: number;
  sendsPerSecond: number;
  failures: number;
  latencyMs: { p99: number };
}

interface Target {
  what: string;
  figure: number | null;
  /** Met when the figure is at most (or at least) the bound. */
  bound: number;
  atMost: boolean;
  unit: string;
}

const fmt = (t: Target) => {
  if (t.figure === null) {
    return `| ${t.what} | not in this run | ${t.atMost ? '≤' : '≥'} ${t.bound}${t.unit} | - |`;
  }
  const met = t.atMost ? t.figure <= t.bound : t.figure >= t.bound;
  return `| ${t.what} | ${t.figure.toFixed(2)}${t.unit} | ${t.atMost ? '≤' : '≥'} ${t.bound}${t.unit} | ${met ? 'met' : 'NOT met'} |`;
};

function capacityTargets(rows: CapacityRow[]): Target[] {
  const ratios = capacityRatios(rows).filter(
    (r) => r.server === 'app' && r.baseline === 'bare-sse',
  );
  return ratios.flatMap((r) => [
    {
      what: `RSS per stream, app ÷ bare @Sse, ${r.streams} streams`,
      figure: r.rssPerStream,
      bound: 1.2,
      atMost: true,
      unit: 'x',
    },
    {
      what: `connects/s, app ÷ bare @Sse, ${r.streams} streams`,
      figure: r.connectRate,
      bound: 0.8,
      atMost: false,
      unit: 'x',
    },
    {
      what: `fan-out to all, app ÷ bare @Sse, ${r.streams} streams`,
      figure: r.fanOutMedian,
      bound: 1.1,
      atMost: true,
      unit: 'x',
    },
  ]);
}

function soakTargets(soak: SoakResult): Target[] {
  const where = `soak, ${soak.streams} streams, ${soak.ratePerSecond} sends/s`;
  return [
    {
      what: `send→event p99, ${where}`,
      figure: soak.sendToEventMs.p99,
      bound: 50,
      atMost: true,
      unit: ' ms',
    },
    {
      what: `send→event max, ${where}`,
      figure: soak.sendToEventMs.max,
      bound: 250,
      atMost: true,
      unit: ' ms',
    },
    {
      what: `events lost + duplicated, ${where}`,
      figure: soak.events.lost + soak.events.duplicated,
      bound: 0,
      atMost: true,
      unit: '',
    },
    {
      what: `longest GC pause, ${where}`,
      figure: soak.memory.maxGcPauseMs,
      bound: 250,
      atMost: true,
      unit: ' ms',
    },
  ];
}

function sendsTargets(runs: SendsRow[]): Target[] {
  const perSecond = (database: string, workers: number, clients: number) =>
    runs.find(
      (r) => r.database === database && (r.workers ?? 1) === workers && r.clients === clients,
    )?.sendsPerSecond ?? null;
  const cores = Math.max(...runs.map((r) => r.workers ?? 1));
  return (['SQLite', 'MariaDB'] as const).flatMap((database) =>
    [...new Set(runs.filter((r) => r.database === database).map((r) => r.clients))].flatMap(
      (clients) => {
        const one = perSecond(database, 1, clients);
        const all = perSecond(database, cores, clients);
        return [
          {
            what: `sends/s, ${cores} workers ÷ 1, ${database}, ${clients} senders`,
            figure: one && all ? all / one : null,
            bound: 1.7,
            atMost: false,
            unit: 'x',
          },
          {
            what: `sends/s, ${cores} workers ÷ Flask (${FLASK_SENDS_PER_SECOND[database]}/s), ${database}, ${clients} senders`,
            figure: all === null ? null : all / FLASK_SENDS_PER_SECOND[database],
            bound: 3,
            atMost: false,
            unit: 'x',
          },
        ];
      },
    ),
  );
}

export function targetsTable(measured: {
  capacity?: CapacityRow[];
  soak?: SoakResult;
  sends?: SendsRow[];
}): string {
  const targets = [
    ...(measured.capacity ? capacityTargets(measured.capacity) : []),
    ...(measured.soak ? soakTargets(measured.soak) : []),
    ...(measured.sends ? sendsTargets(measured.sends) : []),
  ];
  const failures = measured.sends?.reduce((t, r) => t + r.failures, 0);
  return [
    '| issue 21 target | this run | target | |',
    '| --- | ---: | ---: | --- |',
    ...targets.map(fmt),
    ...(failures === undefined
      ? []
      : [
          `| failed sends (all send runs) | ${failures} | 0 | ${failures === 0 ? 'met' : 'NOT met'} |`,
        ]),
  ].join('\n');
}
