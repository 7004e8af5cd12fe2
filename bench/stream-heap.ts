/**
 * Where an idle stream's memory goes, in the app and in the bare Nest `@Sse` server
 * (bench/bare-sse-server.ts), from V8 heap snapshots (issue 21):
 *
 *   npm run bench:stream-heap [-- --streams=2000] [--node-args="..."] [--out=stream-heap]
 *     [--report-only]
 *   (builds first; or npx ts-node -T bench/stream-heap.ts after npx nest build)
 *
 * Each server runs in a fresh process with bench/diagnostics-preload.js, --expose-gc and
 * --no-flush-bytecode (no code dropped between the snapshots); the app is the production
 * build on a fresh SQLite database seeded with users and their sessions, as `npm run bench`
 * starts it. For each, as bench/capacity.ts measures RSS: 200 streams
 * opened and closed (warm-up), then a full GC and the baseline (RSS from /proc, the heap from
 * process.memoryUsage()); N idle streams of distinct users from one load process
 * (bench/load-client.ts); 3 s later RSS, then the heap before and after a full GC, then a heap
 * snapshot with the N streams open; then the streams are closed and, once the server holds none,
 * a second snapshot. Per stream:
 *
 * - RSS: (RSS with N streams - baseline) / N, before any GC or snapshot there;
 * - live heap: heapUsed after a full GC, (with N - baseline) / N;
 * - committed heap: heapTotal (V8's pages) before and after that GC, over the baseline, / N;
 * - garbage: heapUsed before that GC minus after, / N (what the connects left that no GC had
 *   taken yet), and the part of it in the old space (promoted);
 * - while they connected (and the 3 s after): heap allocated and promoted to the old space
 *   by scavenges, / N, and the collections and their pauses (v8.GCProfiler);
 * - by class: (snapshot with N streams - snapshot after they closed) / N, count, self size and
 *   retained size (bench/heap-snapshot.ts names the classes), top 25; then the app's figure
 *   minus the bare server's for the same class;
 * - by package (rxjs, node, @nestjs/core, the app, ...), self sizes, the same way.
 *
 * Writes bench/results/<out>.{json,md}; --report-only rewrites the .md from the .json (the
 * section from "## Reading" on is kept). Servers listen on 127.0.0.1; the snapshots and the
 * database live in a temp folder removed at the end.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ClassSizes, summarizeHeapSnapshot } from './heap-snapshot';
import {
  connectStreams,
  diagnosticsNodeArgs,
  DiagnosticsReport,
  gcBetween,
  LoadProcess,
  machineLine,
  option,
  previousNotes,
  procStat,
  Server,
  ServerDiagnostics,
  sleep,
  waitForOpenStreams,
  COMPARED_SERVERS,
  withComparedServers,
} from './lib';

const STREAMS = Number(option('streams') ?? 2000);
const WARM_UP = 200;
const TOP = 25;
const OUT = option('out') ?? 'stream-heap';
/** `--node-args="--max-semi-space-size=32 ..."`: V8 or Node options for both servers. */
const EXTRA_NODE_ARGS = (process.argv.find((a) => a.startsWith('--node-args='))?.slice(12) ?? '')
  .split(' ')
  .filter(Boolean);
const RESULTS = join(__dirname, 'results');

/** Per-stream figures of one class (or package): the N-stream snapshot minus the closed one. */
export interface PerStream {
  key: string;
  package: string;
  count: number;
  selfBytes: number;
  retainedBytes: number;
}

export interface ServerResult {
  server: string;
  streams: number;
  connectPerSecond: number;
  failures: number;
  perStreamKb: {
    rss: number;
    liveHeap: number;
    snapshotHeap: number;
    committedHeapBeforeGc: number;
    committedHeapAfterGc: number;
    garbage: number;
    garbageInOldSpace: number;
  };
  totalsMb: {
    rssBaseline: number;
    rssWithStreams: number;
    heapUsedBaseline: number;
    heapUsedWithStreams: number;
    /** The live heap after every stream closed, against the baseline: what closing leaves. */
    heapUsedAfterClose: number;
  };
  /** While the streams connected (and the 3 s after): allocation, promotion, collections. */
  connectGc: {
    allocatedKbPerStream: number;
    promotedKbPerStream: number;
    scavenges: number;
    otherCollections: number;
    pauseMs: number;
    maxPauseMs: number;
  };
  snapshotMs: number;
  /** Every class that changed by a byte per stream or more, sorted by self size per stream. */
  classes: PerStream[];
  packages: PerStream[];
}

export interface StreamHeapResult {
  date: string;
  machine: string;
  loadAverageBefore: number[];
  streams: number;
  nodeArgs: string[];
  servers: ServerResult[];
}

const kb = (bytes: number) => bytes / 1024;
const spaceUsed = (r: DiagnosticsReport['before'], space: string) =>
  r.heapSpaces.find((s) => s.name === space)?.used ?? 0;

/** (with - without) / streams, per class; classes that hardly changed are left out. */
function perStream(
  withStreams: Map<string, ClassSizes>,
  without: Map<string, ClassSizes>,
  streams: number,
): PerStream[] {
  const keys = new Set([...withStreams.keys(), ...without.keys()]);
  const rows: PerStream[] = [];
  for (const key of keys) {
    const a = withStreams.get(key);
    const b = without.get(key);
    const row = {
      key,
      package: a?.package ?? b?.package ?? '',
      count: ((a?.count ?? 0) - (b?.count ?? 0)) / streams,
      selfBytes: ((a?.selfSize ?? 0) - (b?.selfSize ?? 0)) / streams,
      retainedBytes: ((a?.retainedSize ?? 0) - (b?.retainedSize ?? 0)) / streams,
    };
    // Below a byte per stream is noise of the run, not of the stream.
    if (Math.abs(row.selfBytes) >= 1 || Math.abs(row.retainedBytes) >= 8) {
      rows.push(row);
    }
  }
  return rows.sort((x, y) => y.selfBytes - x.selfBytes);
}

function byPackage(classes: PerStream[]): PerStream[] {
  const sums = new Map<string, PerStream>();
  for (const c of classes) {
    const key = c.package || '(V8 and built-ins, no owner found)';
    const sum = sums.get(key) ?? { key, package: key, count: 0, selfBytes: 0, retainedBytes: 0 };
    sum.count += c.count;
    sum.selfBytes += c.selfBytes;
    sums.set(key, sum);
  }
  return [...sums.values()].sort((x, y) => y.selfBytes - x.selfBytes);
}

async function measure(server: Server, diagnostics: ServerDiagnostics): Promise<ServerResult> {
  const pid = server.child.pid!;
  const userIds = Array.from({ length: STREAMS }, (_, i) => i + 2);
  console.log(`${server.name}: warm-up, ${WARM_UP} streams opened and closed`);
  const warmUp = await connectStreams(server, userIds.slice(0, WARM_UP));
  warmUp.loads.forEach((l) => l.close());
  await waitForOpenStreams(server, 0);
  await sleep(2000);
  const baseline = await diagnostics.memory();
  const base = procStat(pid);
  console.log(`${server.name}: ${STREAMS} streams`);
  const { loads, connectPerSecond, failures } = await connectStreams(server, userIds);
  let closed = false;
  const close = (all: LoadProcess[]) => {
    if (!closed) {
      closed = true;
      all.forEach((l) => l.close());
    }
  };
  try {
    await waitForOpenStreams(server, STREAMS - failures);
    await sleep(3000);
    const loaded = procStat(pid);
    const gc = await diagnostics.memory();
    const connectGc = gcBetween(baseline, gc);
    console.log(`${server.name}: heap snapshot with ${STREAMS} streams`);
    const open = await diagnostics.snapshot();
    const withStreams = summarizeHeapSnapshot(open.file!);
    rmSync(open.file!);
    close(loads);
    await waitForOpenStreams(server, 0);
    await sleep(2000);
    console.log(`${server.name}: heap snapshot with the streams closed`);
    const after = await diagnostics.snapshot();
    const closedHeap = summarizeHeapSnapshot(after.file!);
    rmSync(after.file!);
    const n = STREAMS - failures;
    const classes = perStream(withStreams.byClass, closedHeap.byClass, n);
    const b = baseline.after.memoryUsage;
    return {
      server: server.name,
      streams: n,
      connectPerSecond,
      failures,
      perStreamKb: {
        rss: (loaded.rssKb - base.rssKb) / n,
        liveHeap: kb(gc.after.memoryUsage.heapUsed - b.heapUsed) / n,
        snapshotHeap: kb(withStreams.totalSize - closedHeap.totalSize) / n,
        committedHeapBeforeGc: kb(gc.before.memoryUsage.heapTotal - b.heapTotal) / n,
        committedHeapAfterGc: kb(gc.after.memoryUsage.heapTotal - b.heapTotal) / n,
        garbage: kb(gc.before.memoryUsage.heapUsed - gc.after.memoryUsage.heapUsed) / n,
        garbageInOldSpace:
          kb(spaceUsed(gc.before, 'old_space') - spaceUsed(gc.after, 'old_space')) / n,
      },
      totalsMb: {
        rssBaseline: base.rssKb / 1024,
        rssWithStreams: loaded.rssKb / 1024,
        heapUsedBaseline: b.heapUsed / 2 ** 20,
        heapUsedWithStreams: gc.after.memoryUsage.heapUsed / 2 ** 20,
        heapUsedAfterClose: after.after.memoryUsage.heapUsed / 2 ** 20,
      },
      connectGc: {
        allocatedKbPerStream: kb(connectGc.allocated) / n,
        promotedKbPerStream: kb(connectGc.promoted) / n,
        scavenges: connectGc.scavenges,
        otherCollections: connectGc.otherCollections,
        pauseMs: connectGc.pauseMs,
        maxPauseMs: connectGc.maxPauseMs,
      },
      snapshotMs: open.ms,
      classes,
      packages: byPackage(classes),
    };
  } finally {
    close(loads);
  }
}

const f0 = (v: number) => v.toFixed(0);
const f1 = (v: number) => v.toFixed(1);
const f2 = (v: number) => v.toFixed(2);
const cell = (s: string) => s.replace(/\|/g, '\\|');

function classTable(rows: PerStream[], by: 'selfBytes' | 'retainedBytes'): string[] {
  // The snapshot's root retains everything: its row is the total, in the first table.
  const sorted = [...rows]
    .filter((r) => !r.key.startsWith('(synthetic)'))
    .sort((a, b) => b[by] - a[by])
    .slice(0, TOP);
  return [
    '| class (held by › part) | per stream: count | self bytes | retained bytes |',
    '| --- | ---: | ---: | ---: |',
    ...sorted.map(
      (r) =>
        `| ${cell(r.key)} | ${f2(r.count)} | ${r.selfBytes.toFixed(0)} | ${r.retainedBytes.toFixed(0)} |`,
    ),
  ];
}

/** The app's per-stream figure minus the bare server's, class by class. */
export function appMinusBare(app: PerStream[], bare: PerStream[]): PerStream[] {
  const bareBy = new Map(bare.map((r) => [r.key, r]));
  const keys = new Set([...app.map((r) => r.key), ...bare.map((r) => r.key)]);
  const appBy = new Map(app.map((r) => [r.key, r]));
  return [...keys]
    .map((key) => {
      const a = appBy.get(key);
      const b = bareBy.get(key);
      return {
        key,
        package: a?.package ?? b?.package ?? '',
        count: (a?.count ?? 0) - (b?.count ?? 0),
        selfBytes: (a?.selfBytes ?? 0) - (b?.selfBytes ?? 0),
        retainedBytes: (a?.retainedBytes ?? 0) - (b?.retainedBytes ?? 0),
      };
    })
    .sort((x, y) => Math.abs(y.selfBytes) - Math.abs(x.selfBytes));
}

function markdown(result: StreamHeapResult, notes: string): string {
  const app = result.servers.find((s) => s.server === 'app');
  const bare = result.servers.find((s) => s.server === 'bare-sse');
  const lines = [
    `# Memory per idle stream: the app against the bare Nest \`@Sse\` server (${result.date})`,
    '',
    `Machine: ${result.machine}; load average before the run ${result.loadAverageBefore.map(f1).join(' / ')}.`,
    `\`npm run bench:stream-heap -- --streams=${result.streams}${result.nodeArgs?.length ? ` --node-args="${result.nodeArgs.join(' ')}"` : ''}\` (bench/stream-heap.ts; method in its header).`,
    '',
    '| server | streams | connect/s | RSS KB/stream | live heap KB/stream (after full GC) | heap snapshot KB/stream | committed heap KB/stream, before / after GC | uncollected garbage KB/stream (old space) | heap MB: baseline / with streams / after they closed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |',
    ...result.servers.map((s) => {
      const p = s.perStreamKb;
      const t = s.totalsMb;
      return (
        `| ${s.server} | ${s.streams} | ${s.connectPerSecond.toFixed(0)} | ${f1(p.rss)} | ${f1(p.liveHeap)} | ${f1(p.snapshotHeap)} | ` +
        `${f1(p.committedHeapBeforeGc)} / ${f1(p.committedHeapAfterGc)} | ${f1(p.garbage)} (${f1(p.garbageInOldSpace)}) | ` +
        `${f1(t.heapUsedBaseline)} / ${f1(t.heapUsedWithStreams)} / ${f1(t.heapUsedAfterClose)} |`
      );
    }),
  ];
  lines.push(
    '',
    'While the streams connected (and the 3 s after), per stream:',
    '',
    '| server | heap allocated KB/stream | promoted to the old space KB/stream | scavenges | other collections | GC pauses ms, total (max) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...result.servers.map((s) => {
      const g = s.connectGc;
      return `| ${s.server} | ${f1(g.allocatedKbPerStream)} | ${f1(g.promotedKbPerStream)} | ${g.scavenges} | ${g.otherCollections} | ${f0(g.pauseMs)} (${f1(g.maxPauseMs)}) |`;
    }),
  );
  if (app && bare) {
    const ratio = (a: number, b: number) => `${f1(a - b)} (${f2(a / b)}x)`;
    lines.push(
      '',
      `App minus bare, per stream: RSS ${ratio(app.perStreamKb.rss, bare.perStreamKb.rss)} KB, ` +
        `live heap ${ratio(app.perStreamKb.liveHeap, bare.perStreamKb.liveHeap)} KB, ` +
        `snapshot ${ratio(app.perStreamKb.snapshotHeap, bare.perStreamKb.snapshotHeap)} KB, ` +
        `committed heap before GC ${ratio(app.perStreamKb.committedHeapBeforeGc, bare.perStreamKb.committedHeapBeforeGc)} KB.`,
    );
  }
  for (const s of result.servers) {
    lines.push(
      '',
      `## ${s.server}: by package, self bytes per stream`,
      '',
      '| package (of the object, or of the object or closure holding the part) | objects per stream | self bytes |',
      '| --- | ---: | ---: |',
      ...s.packages
        .slice(0, 15)
        .map((p) => `| ${cell(p.key)} | ${f1(p.count)} | ${p.selfBytes.toFixed(0)} |`),
      '',
      `## ${s.server}: top ${TOP} classes by self size per stream`,
      '',
      ...classTable(s.classes, 'selfBytes'),
      '',
      `## ${s.server}: top ${TOP} classes by retained size per stream`,
      '',
      "A class's retained size counts each object once; classes nest (a Socket retains its",
      'request, a Map of the registry retains every stream it holds), so the rows overlap.',
      '',
      ...classTable(s.classes, 'retainedBytes'),
    );
  }
  if (app && bare) {
    const diff = appMinusBare(app.classes, bare.classes);
    const pkgDiff = appMinusBare(app.packages, bare.packages);
    lines.push(
      '',
      '## App minus bare `@Sse`, per stream',
      '',
      '| package | objects | self bytes |',
      '| --- | ---: | ---: |',
      ...pkgDiff
        .slice(0, 15)
        .map((p) => `| ${cell(p.key)} | ${f1(p.count)} | ${p.selfBytes.toFixed(0)} |`),
      '',
      `Top ${TOP} classes by the difference in self size (negative: the bare server holds more):`,
      '',
      ...classTable(diff.slice(0, TOP), 'selfBytes').slice(0, 2),
      ...diff
        .slice(0, TOP)
        .map(
          (r) =>
            `| ${cell(r.key)} | ${f2(r.count)} | ${r.selfBytes.toFixed(0)} | ${r.retainedBytes.toFixed(0)} |`,
        ),
    );
  }
  if (notes) {
    lines.push('', notes.trim());
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const jsonFile = join(RESULTS, `${OUT}.json`);
  const mdFile = join(RESULTS, `${OUT}.md`);
  if (process.argv.includes('--report-only')) {
    const result = JSON.parse(readFileSync(jsonFile, 'utf8')) as StreamHeapResult;
    writeFileSync(mdFile, markdown(result, previousNotes(mdFile)));
    return;
  }
  await withComparedServers('microblog-stream-heap-', STREAMS + 2, async (servers) => {
    const result: StreamHeapResult = {
      date: new Date().toISOString(),
      machine: machineLine(),
      loadAverageBefore: loadavg(),
      streams: STREAMS,
      nodeArgs: EXTRA_NODE_ARGS,
      servers: [],
    };
    // Bytecode kept: V8 would otherwise drop unused functions' bytecode between the two
    // snapshots, code that is no stream's.
    const nodeArgs = [
      '--expose-gc',
      '--no-flush-bytecode',
      ...EXTRA_NODE_ARGS,
      ...diagnosticsNodeArgs(),
    ];
    for (const name of COMPARED_SERVERS) {
      const diagnosticsDir = servers.folder(name);
      const server = await servers.start(name, nodeArgs, { BENCH_DIAGNOSTICS_DIR: diagnosticsDir });
      result.servers.push(await measure(server, new ServerDiagnostics(server, diagnosticsDir)));
      await servers.stopAll();
    }
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(jsonFile, JSON.stringify(result, null, 2));
    const md = markdown(result, previousNotes(mdFile));
    writeFileSync(mdFile, md);
    console.log(md.slice(0, md.indexOf('\n## ')));
  });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
