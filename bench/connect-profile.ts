/**
 * Where a stream connect's CPU goes, in the app and in the bare Nest `@Sse` server
 * (bench/bare-sse-server.ts), from V8 CPU profiles (issue 21):
 *
 *   npm run bench:connect-profile [-- --streams=2000] [--interval-us=200]
 *     [--allocation-sampling=16384] [--out=connect-profile] [--report-only]
 *   (builds first; or npx ts-node -T bench/connect-profile.ts after npx nest build)
 *
 * Each server runs in a fresh process with `--cpu-prof` (a sample every --interval-us µs, the
 * profile written into a temp folder) and bench/diagnostics-preload.js, which lets the process
 * exit normally on SIGTERM so Node writes the profile (the app's graceful stop raises the
 * signal again at its end, which would otherwise kill it first). The app is the production
 * build on a fresh SQLite database seeded with users and their sessions, as `npm run bench`
 * starts it. For each: a warm-up (200 streams, then a storm of M, each opened and closed),
 * then a connect storm of M streams of distinct users from one load process
 * (bench/load-client.ts, 100 connects in flight, as bench/capacity.ts connects), then SIGTERM:
 * the steady cost of a connect, on compiled code and a heap grown to hold the streams.
 * Before the profiled process, a fresh process without the profilers has the same warm-up and
 * --repeat storms (the streams closed between): the median storm's connect rate and CPU per
 * connect are the figures, the profile gives the shares.
 *
 * The window is the storm, from the first connect until 500 ms after the last stream's first
 * bytes (so the work a connect starts after answering counts too), in the monotonic clock that
 * V8's profile timestamps and process.hrtime share. Only samples in it count. Per connect:
 * - the server's CPU from /proc over the window; the heap allocated and promoted to the old
 *   space, and the collections (v8.GCProfiler, from bench/diagnostics-preload.js);
 * - self time per function (name, script, line), top 30;
 * - inclusive time of the request path's frames (the app's code, Nest, passport, jsonwebtoken,
 *   nestjs-i18n, class-validator, Express, rxjs, the database drivers), top 30; synchronous
 *   only: what runs after an await is under the microtask that resumed it;
 * - the heap allocated per connect by stage and by function, from V8's sampling heap profiler
 *   over the same window (garbage included; --allocation-sampling bytes per sample, 0: off);
 * - a breakdown by stage (STAGES), in µs per connect as shares of the unprofiled CPU: each sample goes to the innermost frame of its stack that
 *   belongs to a stage, the database drivers, rxjs and Node itself counting for their caller,
 *   so a crypto call under jsonwebtoken counts as the JWT check, a socket write under Nest's
 *   SseStream as Nest's SSE, and a statement TypeORM runs after an await of its own (no caller
 *   on the stack) as SQL; the stages add up to the server's CPU per connect.
 *
 * Writes bench/results/<out>.{json,md}; --report-only rewrites the .md from the .json (the
 * section from "## Reading" on is kept). Servers listen on 127.0.0.1; the temp folder goes at
 * the end.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { packageOf, shortScript } from './heap-snapshot';
import {
  connectStreams,
  diagnosticsNodeArgs,
  gcBetween,
  GcSummary,
  LoadProcess,
  machineLine,
  option,
  previousNotes,
  procStat,
  ROOT,
  Server,
  ServerDiagnostics,
  sleep,
  stopProcess,
  waitForOpenStreams,
  COMPARED_SERVERS,
  withComparedServers,
} from './lib';

const STREAMS = Number(option('streams') ?? 2000);
const INTERVAL_US = Number(option('interval-us') ?? 200);
/** Bytes per allocation sample on average; 0 turns the allocation profile off. */
const ALLOCATION_SAMPLING = Number(option('allocation-sampling') ?? 16_384);
const WARM_UP = 200;
/** Storms without the profilers, per server. */
const REPEAT = Number(option('repeat') ?? 3);
/** After the last stream answered: work its connect started (the first frames' queries). */
const TAIL_MS = 500;
const TOP = 30;
const OUT = option('out') ?? 'connect-profile';
const RESULTS = join(__dirname, 'results');

interface Stage {
  name: string;
  /** A frame belongs to the stage when its function name or its script matches. */
  functionName?: string;
  url?: RegExp;
  /**
   * Code that works for its caller (the database drivers, rxjs, metadata helpers, Node's
   * internals and native functions): its time goes to the nearest caller of a stage that is
   * not, and to this stage only when no such caller is on the stack.
   */
  transparent?: boolean;
}

/**
 * Scripts of the app's build (dist/, not a package's dist/ under node_modules); CPU profiles
 * name them by file:// URL, heap profiles by path.
 */
const app = (path: string) =>
  new RegExp(`^(file://)?${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/dist/${path}`);

/**
 * A sample goes to the innermost frame of its stack that belongs to a stage that is not
 * transparent (a crypto call under jsonwebtoken is the JWT check, a SQL statement under
 * SessionsService the session check, a socket write under Nest's SseStream Nest's SSE, and a
 * middleware that calls next() does not take the time of what runs after it); failing that,
 * to the innermost transparent stage with a script (a socket write flushed from
 * process.nextTick is Node's streams, not a native function). The first three are the
 * profiler's own leaves.
 */
export const STAGES: Stage[] = [
  { name: 'garbage collection (main thread)', functionName: '(garbage collector)' },
  { name: 'idle', functionName: '(idle)' },
  { name: 'V8 and native code outside JS ((program))', functionName: '(program)' },
  {
    name: 'JWT signature and claims (jsonwebtoken, jws, the HMAC)',
    url: /node_modules\/(jsonwebtoken|jws|jwa)\//,
  },
  {
    name: 'session check (SessionsService, its SELECT through TypeORM and better-sqlite3)',
    url: app('auth/sessions\\.service\\.js$'),
  },
  {
    name: 'passport, passport-jwt, @nestjs/passport, JwtStrategy, JwtAuthGuard',
    url: new RegExp(
      `node_modules/(passport|passport-jwt|passport-strategy|@nestjs/passport)/|${app('auth/').source}`,
    ),
  },
  {
    name: "other guards (CsrfGuard, throttler) and Nest's GuardsConsumer",
    url: new RegExp(`${app('.*guard\\.js$').source}|@nestjs/core/guards/|@nestjs/throttler/`),
  },
  {
    name: 'pipes (ValidationPipe, class-validator, class-transformer)',
    url: /node_modules\/(class-validator|class-transformer)\/|@nestjs\/(common|core)\/pipes\//,
  },
  {
    name: 'nestjs-i18n (middleware, resolvers, interceptor)',
    url: /node_modules\/(nestjs-i18n|accept-language-parser)\//,
  },
  { name: "interceptors (Nest's InterceptorsConsumer)", url: /@nestjs\/core\/interceptors\// },
  {
    name: "the app's stream open (controller, registry, first frames and their queries)",
    url: app('(notifications|conversations)/'),
  },
  { name: 'the bare server (its controller and registry)', url: /bench\/bare-sse-server\.ts$/ },
  { name: 'other app code (app.setup middleware, filters)', url: app('') },
  {
    name: "Nest's SSE (SseStream, headers, first writes)",
    url: /@nestjs\/core\/router\/(sse-stream|router-response-controller)\.js$/,
  },
  {
    name: "Nest's route pipeline (router proxy, execution context, params)",
    url: /node_modules\/(@nestjs\/core|@nestjs\/common)\//,
  },
  {
    name: 'Express (router, cookie-parser, platform-express)',
    url: /node_modules\/(express|router|cookie-parser|cookie-signature|cookie|body-parser|helmet|compression|on-finished|finalhandler|parseurl|qs|send|serve-static|@nestjs\/platform-express|path-to-regexp|content-type|type-is|accepts|vary|negotiator|mime-types)\//,
  },
  {
    // TypeORM runs a statement after an await of its own: no caller is on the stack then.
    name: 'SQL through TypeORM and better-sqlite3, resumed after an await (any caller)',
    url: /node_modules\/(typeorm|better-sqlite3)\//,
    transparent: true,
  },
  {
    name: 'rxjs (no caller of a stage on the stack)',
    url: /node_modules\/rxjs\//,
    transparent: true,
  },
  {
    name: 'metadata and helpers (reflect-metadata, iterare, tslib)',
    url: /node_modules\/(reflect-metadata|iterare|tslib)\//,
    transparent: true,
  },
  {
    name: 'Node http, net and streams (no caller of a stage on the stack)',
    url: /^node:(_http_|net|stream|internal\/(streams|http|stream_base_commons|net|js_stream))/,
    transparent: true,
  },
  {
    name: 'Node (other internals: microtasks, timers, events; no caller of a stage)',
    url: /^node:/,
    transparent: true,
  },
  { name: 'native functions and other code', url: /^/, transparent: true },
];
const LEAF_ONLY = 3;
/** The last stage: frames without a script (native functions) and anything unmatched. */
const NATIVE = STAGES.length - 1;

/** Frames whose inclusive time is worth reading: the request path, not Node's plumbing. */
const REQUEST_PATH = new RegExp(
  `${app('').source}|bench/bare-sse-server\\.ts$|` +
    'node_modules/(@nestjs|passport|passport-jwt|jsonwebtoken|jws|nestjs-i18n|class-validator|' +
    'class-transformer|express|router|cookie-parser|rxjs|better-sqlite3|typeorm)/',
);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** A node of a sampling heap profile (HeapProfiler.stopSampling): a tree, sizes scaled. */
interface HeapProfileNode {
  id: number;
  callFrame: ProfileNode['callFrame'];
  selfSize: number;
  children: HeapProfileNode[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  function: string;
  package: string;
  samples: number;
  /** Of the window's samples that were not idle. */
  share: number;
  usPerConnect: number;
}

export interface StageTime {
  stage: string;
  samples: number;
  share: number;
  usPerConnect: number;
  /** The functions with the most self time in this stage. */
  top: { function: string; usPerConnect: number }[];
  /** The stage's samples by the package of their innermost frame. */
  packages: { package: string; usPerConnect: number }[];
}

/** The storm's figures without the profilers: the run with the median CPU per connect. */
export interface Unprofiled {
  connectPerSecond: number;
  procCpuUsPerConnect: number;
  failures: number;
  /** CPU µs per connect of every run. */
  runs: number[];
}

export interface ProfileResult {
  server: string;
  streams: number;
  failures: number;
  connectPerSecond: number;
  windowMs: number;
  /** The profile's samples in the window, and those of them not idle. */
  samples: number;
  busySamples: number;
  /** Server CPU over the window from /proc (user + system, every thread), per connect. */
  procCpuUsPerConnect: number;
  /** The same storm in a process without the profilers; stage times are shares of its CPU. */
  unprofiled: Unprofiled;
  /** Heap allocated and promoted per connect, and the collections, over the window. */
  gc: GcSummary & { allocatedKbPerConnect: number; promotedKbPerConnect: number };
  stages: StageTime[];
  selfTop: FunctionTime[];
  inclusiveTop: FunctionTime[];
  /** Where the window's heap allocations were made (absent with --allocation-sampling=0). */
  allocations?: AllocationResult;
}

export interface AllocationResult {
  /** V8's estimate from the samples, against the heap's own count (GcSummary.allocated). */
  sampledKbPerConnect: number;
  stages: { stage: string; kbPerConnect: number; share: number; top: string[] }[];
  selfTop: { function: string; package: string; kbPerConnect: number; share: number }[];
}

export interface ConnectProfileResult {
  date: string;
  machine: string;
  loadAverageBefore: number[];
  streams: number;
  intervalUs: number;
  allocationSamplingBytes: number;
  servers: ProfileResult[];
}

const frameName = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? ` ${shortScript(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
};

function stageOfFrame(n: ProfileNode): number {
  const { functionName, url } = n.callFrame;
  return STAGES.findIndex((s) =>
    s.functionName !== undefined ? s.functionName === functionName : s.url!.test(url),
  );
}

/** The stage of a sample whose innermost frame is `leaf` (see STAGES). */
function stageOfSample(leaf: number, byId: Map<number, ProfileNode>, parent: Map<number, number>) {
  const own = stageOfFrame(byId.get(leaf)!);
  if (own < LEAF_ONLY) {
    return own;
  }
  let fallback = -1;
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const stage = stageOfFrame(byId.get(id)!);
    if (stage < LEAF_ONLY) {
      continue; // (root)
    }
    if (!STAGES[stage].transparent) {
      return stage;
    }
    if (fallback < 0 || fallback === NATIVE) {
      fallback = stage;
    }
  }
  return fallback < 0 ? NATIVE : fallback;
}

/**
 * Self, inclusive and stage shares of the samples between `from` and `to` (µs, monotonic),
 * turned into µs per connect with `cpuUsPerConnect` (the unprofiled storm's, from /proc):
 * on a shared machine the profile's time deltas include time the process waited for a core,
 * its sample counts do not.
 */
export function analyseProfile(
  profile: CpuProfile,
  from: number,
  to: number,
  connects: number,
  cpuUsPerConnect: number,
): Pick<
  ProfileResult,
  'windowMs' | 'samples' | 'busySamples' | 'stages' | 'selfTop' | 'inclusiveTop'
> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    n.children?.forEach((c) => parent.set(c, n.id));
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const stageSamples = new Array<number>(STAGES.length).fill(0);
  const stageSelf = STAGES.map(() => new Map<string, number>());
  const stagePackages = STAGES.map(() => new Map<string, number>());
  const pkg = new Map<string, string>();
  const IDLE = STAGES.findIndex((st) => st.functionName === '(idle)');
  let t = profile.startTime;
  let samples = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) {
      continue;
    }
    samples++;
    const leaf = byId.get(profile.samples[i])!;
    const stage = stageOfSample(leaf.id, byId, parent);
    if (stage === IDLE) {
      idle++;
      continue;
    }
    const name = frameName(leaf);
    self.set(name, (self.get(name) ?? 0) + 1);
    pkg.set(name, leaf.callFrame.url ? packageOf(leaf.callFrame.url) : '');
    stageSamples[stage]++;
    stageSelf[stage].set(name, (stageSelf[stage].get(name) ?? 0) + 1);
    const leafPackage = pkg.get(name) || 'native';
    stagePackages[stage].set(leafPackage, (stagePackages[stage].get(leafPackage) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      if (REQUEST_PATH.test(n.callFrame.url)) {
        const key = frameName(n);
        if (!seen.has(key)) {
          seen.add(key);
          inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
          pkg.set(key, packageOf(n.callFrame.url));
        }
      }
    }
  }
  const busy = samples - idle;
  const share = (count: number) => count / busy;
  const us = (count: number) => share(count) * cpuUsPerConnect;
  const top = (counts: Map<string, number>): FunctionTime[] =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, count]) => ({
        function: name,
        package: pkg.get(name) ?? '',
        samples: count,
        share: share(count),
        usPerConnect: us(count),
      }));
  return {
    windowMs: (to - from) / 1000,
    samples,
    busySamples: busy,
    stages: stageSamples
      .map((count, i) => ({
        stage: STAGES[i].name,
        samples: count,
        share: share(count),
        usPerConnect: us(count),
        top: [...stageSelf[i]]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([name, c]) => ({ function: name, usPerConnect: us(c) })),
        packages: [...stagePackages[i]]
          .sort((a, b) => b[1] - a[1])
          .map(([name, c]) => ({ package: name, usPerConnect: us(c) })),
      }))
      .filter((st) => st.samples > 0)
      .sort((a, b) => b.samples - a.samples),
    selfTop: top(self),
    inclusiveTop: top(inclusive),
  };
}

/** Heap allocated per connect by stage (the same rule as CPU samples) and by function. */
export function analyseAllocations(head: HeapProfileNode, connects: number): AllocationResult {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  const sizes: [number, number][] = [];
  const walk = (node: HeapProfileNode) => {
    byId.set(node.id, { id: node.id, callFrame: node.callFrame });
    if (node.selfSize > 0) {
      sizes.push([node.id, node.selfSize]);
    }
    for (const child of node.children) {
      parent.set(child.id, node.id);
      walk(child);
    }
  };
  walk(head);
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  const stageBytes = new Array<number>(STAGES.length).fill(0);
  const stageSelf = STAGES.map(() => new Map<string, number>());
  const self = new Map<string, number>();
  const pkg = new Map<string, string>();
  for (const [id, size] of sizes) {
    const node = byId.get(id)!;
    const stage = stageOfSample(id, byId, parent);
    const name = frameName(node);
    stageBytes[stage] += size;
    stageSelf[stage].set(name, (stageSelf[stage].get(name) ?? 0) + size);
    self.set(name, (self.get(name) ?? 0) + size);
    pkg.set(name, node.callFrame.url ? packageOf(node.callFrame.url) : '');
  }
  const kb = (bytes: number) => bytes / 1024 / connects;
  return {
    sampledKbPerConnect: kb(total),
    stages: stageBytes
      .map((bytes, i) => ({
        stage: STAGES[i].name,
        kbPerConnect: kb(bytes),
        share: bytes / total,
        top: [...stageSelf[i]]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([name, b]) => `${name} ${kb(b).toFixed(1)}`),
      }))
      .filter((st) => st.kbPerConnect > 0)
      .sort((a, b) => b.kbPerConnect - a.kbPerConnect),
    selfTop: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, bytes]) => ({
        function: name,
        package: pkg.get(name) ?? '',
        kbPerConnect: kb(bytes),
        share: bytes / total,
      })),
  };
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const stormUsers = () => Array.from({ length: STREAMS }, (_, i) => i + 2);

/**
 * Opens and closes WARM_UP streams of users outside the storm's, then one whole storm: the
 * storms measured after it run on compiled code and a heap already grown to hold them (the
 * first storm after a start costs 1.5-2x as much CPU per connect).
 */
async function warmUp(server: Server): Promise<void> {
  console.log(`${server.name}: warm-up, ${WARM_UP} streams and a storm of ${STREAMS}`);
  const warm = await connectStreams(
    server,
    Array.from({ length: WARM_UP }, (_, i) => STREAMS + 2 + i),
  );
  warm.loads.forEach((l) => l.close());
  await waitForOpenStreams(server, 0);
  const storm = await connectStreams(server, stormUsers());
  storm.loads.forEach((l) => l.close());
  await waitForOpenStreams(server, 0);
  await sleep(1000);
}

/**
 * The same storm on a server without the profilers, REPEAT times (the streams closed between):
 * the median run's connect rate and CPU per connect.
 */
async function plainStorm(server: Server): Promise<Unprofiled> {
  await warmUp(server);
  const runs: { connectPerSecond: number; procCpuUsPerConnect: number; failures: number }[] = [];
  for (let run = 1; run <= REPEAT; run++) {
    console.log(
      `${server.name}: connect storm of ${STREAMS} streams, no profiler (${run}/${REPEAT})`,
    );
    const cpuBefore = procStat(server.child.pid!).cpuSeconds;
    const storm = await connectStreams(server, stormUsers());
    await sleep(TAIL_MS);
    const cpuSeconds = procStat(server.child.pid!).cpuSeconds - cpuBefore;
    storm.loads.forEach((l) => l.close());
    runs.push({
      connectPerSecond: storm.connectPerSecond,
      procCpuUsPerConnect: (cpuSeconds * 1e6) / (STREAMS - storm.failures),
      failures: storm.failures,
    });
    await waitForOpenStreams(server, 0);
    await sleep(1000);
  }
  const median = [...runs].sort((a, b) => a.procCpuUsPerConnect - b.procCpuUsPerConnect)[
    Math.floor(runs.length / 2)
  ];
  return { ...median, runs: runs.map((r) => r.procCpuUsPerConnect) };
}

async function profileStorm(
  server: Server,
  profileDir: string,
  unprofiled: Unprofiled,
): Promise<ProfileResult> {
  const diagnostics = new ServerDiagnostics(server, profileDir);
  const pid = server.child.pid!;
  const userIds = stormUsers();
  await warmUp(server);
  console.log(`${server.name}: connect storm of ${STREAMS} streams, profiled`);
  const heapBefore = await diagnostics.memory();
  const cpuBefore = procStat(pid).cpuSeconds;
  const from = monotonicUs();
  let loads: LoadProcess[] = [];
  try {
    const storm = await connectStreams(server, userIds);
    loads = storm.loads;
    await sleep(TAIL_MS);
    const to = monotonicUs();
    const cpuSeconds = procStat(pid).cpuSeconds - cpuBefore;
    const gc = gcBetween(heapBefore, await diagnostics.memory());
    await stopProcess(server.child, 'SIGTERM');
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      throw new Error(`${server.name} wrote no CPU profile`);
    }
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
    if (profile.startTime > from || profile.endTime < to) {
      throw new Error(`${server.name}: the profile does not cover the storm`);
    }
    const connects = STREAMS - storm.failures;
    const heapProfile = readdirSync(profileDir).find((f) => f.endsWith('.heapprofile'));
    const allocations = heapProfile
      ? analyseAllocations(
          (
            JSON.parse(readFileSync(join(profileDir, heapProfile), 'utf8')) as {
              head: HeapProfileNode;
            }
          ).head,
          connects,
        )
      : undefined;
    const procCpuUsPerConnect = (cpuSeconds * 1e6) / connects;
    return {
      server: server.name,
      streams: connects,
      failures: storm.failures,
      connectPerSecond: storm.connectPerSecond,
      procCpuUsPerConnect,
      gc: {
        ...gc,
        allocatedKbPerConnect: gc.allocated / 1024 / connects,
        promotedKbPerConnect: gc.promoted / 1024 / connects,
      },
      unprofiled,
      ...analyseProfile(profile, from, to, connects, unprofiled.procCpuUsPerConnect),
      allocations,
    };
  } finally {
    loads.forEach((l) => l.close());
  }
}

const f0 = (v: number) => v.toFixed(0);
const f1 = (v: number) => v.toFixed(1);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const cell = (s: string) => s.replace(/\|/g, '\\|');

function functionTable(rows: FunctionTime[], what: string): string[] {
  return [
    `| ${what} | package | µs per connect | share of the samples |`,
    '| --- | --- | ---: | ---: |',
    ...rows.map(
      (r) => `| ${cell(r.function)} | ${r.package} | ${f1(r.usPerConnect)} | ${pct(r.share)} |`,
    ),
  ];
}

function markdown(result: ConnectProfileResult, notes: string): string {
  const lines = [
    `# CPU per stream connect: the app against the bare Nest \`@Sse\` server (${result.date})`,
    '',
    `Machine: ${result.machine}; load average before the run ${result.loadAverageBefore.map(f1).join(' / ')}.`,
    `\`npm run bench:connect-profile -- --streams=${result.streams}\` (bench/connect-profile.ts; method in its header), samples every ${result.intervalUs} µs.`,
    '',
    '| server | connects | connect/s, without / with the profilers | server CPU µs per connect (/proc), without / with | window ms | samples (not idle) | of them GC | heap allocated KB per connect | promoted KB per connect | scavenges / other collections, pauses ms |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...result.servers.map((s) => {
      const gc = s.stages.find((st) => st.stage.startsWith('garbage collection'));
      return (
        `| ${s.server} | ${s.streams} | ${f0(s.unprofiled.connectPerSecond)} / ${f0(s.connectPerSecond)} | ` +
        `${f0(s.unprofiled.procCpuUsPerConnect)} (runs ${s.unprofiled.runs.map(f0).join(', ')}) / ${f0(s.procCpuUsPerConnect)} | ${f0(s.windowMs)} | ` +
        `${s.samples} (${s.busySamples}) | ${pct(gc?.share ?? 0)} (${f0(gc?.usPerConnect ?? 0)} µs) | ` +
        `${f1(s.gc.allocatedKbPerConnect)} | ${f1(s.gc.promotedKbPerConnect)} | ${s.gc.scavenges} / ${s.gc.otherCollections}, ${f0(s.gc.pauseMs)} |`
      );
    }),
    '',
    "µs per connect below: a share of the main thread's samples that were not idle, times the",
    "server's CPU per connect from /proc in the median storm without the profilers (a fresh",
    "process before the profiled one; /proc counts V8's GC helper threads as well).",
  ];
  const app = result.servers.find((s) => s.server === 'app');
  const bare = result.servers.find((s) => s.server === 'bare-sse');
  if (app && bare) {
    const stages = new Set([...app.stages, ...bare.stages].map((s) => s.stage));
    const us = (r: ProfileResult, stage: string) =>
      r.stages.find((s) => s.stage === stage)?.usPerConnect ?? 0;
    lines.push(
      '',
      '## By stage, µs per connect',
      '',
      'Each sample counts once, for the innermost frame of its stack that belongs to a stage',
      '(the drivers, rxjs, helpers and Node itself count for their caller; see `STAGES`), so',
      "the rows add up to the server's CPU per connect.",
      '',
      "| stage | app | bare @Sse | app - bare | the app's time in it by package (µs/connect) | the app's largest self times in it (µs/connect) |",
      '| --- | ---: | ---: | ---: | --- | --- |',
      ...[...stages]
        .sort((a, b) => us(app, b) - us(app, a))
        .map((stage) => {
          const mine = app.stages.find((s) => s.stage === stage);
          const packages = (mine?.packages ?? [])
            .slice(0, 4)
            .map((p) => `${p.package} ${f1(p.usPerConnect)}`);
          const top = (mine?.top ?? []).map((t) => `${t.function} ${f1(t.usPerConnect)}`);
          return (
            `| ${cell(stage)} | ${f1(us(app, stage))} | ${f1(us(bare, stage))} | ${f1(us(app, stage) - us(bare, stage))} | ` +
            `${cell(packages.join('; '))} | ${cell(top.join('; '))} |`
          );
        }),
      `| **total** | **${f0(app.unprofiled.procCpuUsPerConnect)}** | **${f0(bare.unprofiled.procCpuUsPerConnect)}** | **${f0(app.unprofiled.procCpuUsPerConnect - bare.unprofiled.procCpuUsPerConnect)}** | | |`,
    );
  }
  if (app?.allocations && bare?.allocations) {
    const kb = (r: ProfileResult, stage: string) =>
      r.allocations!.stages.find((s) => s.stage === stage)?.kbPerConnect ?? 0;
    const stages = new Set(
      [...app.allocations.stages, ...bare.allocations.stages].map((s) => s.stage),
    );
    lines.push(
      '',
      '## Heap allocated per connect, by stage',
      '',
      `V8's sampling heap profiler over the same window (one sample per ${result.allocationSamplingBytes} bytes on`,
      'average, garbage included), each sample to a stage by the rule above. Sampled: app',
      `${f1(app.allocations.sampledKbPerConnect)} KB per connect (the heap counted ${f1(app.gc.allocatedKbPerConnect)}), bare`,
      `${f1(bare.allocations.sampledKbPerConnect)} KB (counted ${f1(bare.gc.allocatedKbPerConnect)}).`,
      '',
      "| stage | app KB/connect | bare @Sse KB/connect | app - bare | the app's largest allocations in it (KB/connect) |",
      '| --- | ---: | ---: | ---: | --- |',
      ...[...stages]
        .sort((a, b) => kb(app, b) - kb(app, a))
        .map((stage) => {
          const top = app.allocations!.stages.find((s) => s.stage === stage)?.top ?? [];
          return `| ${cell(stage)} | ${f1(kb(app, stage))} | ${f1(kb(bare, stage))} | ${f1(kb(app, stage) - kb(bare, stage))} | ${cell(top.join('; '))} |`;
        }),
      '',
      `Top ${TOP} allocating functions of the app (self):`,
      '',
      '| function | package | KB per connect | share |',
      '| --- | --- | ---: | ---: |',
      ...app.allocations.selfTop.map(
        (r) => `| ${cell(r.function)} | ${r.package} | ${f1(r.kbPerConnect)} | ${pct(r.share)} |`,
      ),
    );
  }
  for (const s of result.servers) {
    lines.push(
      '',
      `## ${s.server}: top ${TOP} functions by self time`,
      '',
      ...functionTable(s.selfTop, 'function'),
      '',
      `## ${s.server}: top ${TOP} frames of the request path by inclusive time`,
      '',
      'Synchronous time under the frame; what runs after an `await` is not under its caller.',
      '',
      ...functionTable(s.inclusiveTop, 'frame'),
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
    const result = JSON.parse(readFileSync(jsonFile, 'utf8')) as ConnectProfileResult;
    writeFileSync(mdFile, markdown(result, previousNotes(mdFile)));
    return;
  }
  await withComparedServers(
    'microblog-connect-profile-',
    STREAMS + WARM_UP + 2,
    async (servers) => {
      const result: ConnectProfileResult = {
        date: new Date().toISOString(),
        machine: machineLine(),
        loadAverageBefore: loadavg(),
        streams: STREAMS,
        intervalUs: INTERVAL_US,
        allocationSamplingBytes: ALLOCATION_SAMPLING,
        servers: [],
      };
      const nodeArgs = (profileDir: string) => [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-interval=${INTERVAL_US}`,
        ...diagnosticsNodeArgs(),
      ];
      const env = (profileDir: string): Record<string, string> => ({
        BENCH_DIAGNOSTICS_DIR: profileDir,
        BENCH_ALLOCATION_SAMPLING: String(ALLOCATION_SAMPLING),
      });
      for (const name of COMPARED_SERVERS) {
        const unprofiled = await plainStorm(await servers.start(name, [], {}));
        await servers.stopAll();
        const profileDir = servers.folder(name);
        const server = await servers.start(name, nodeArgs(profileDir), env(profileDir));
        result.servers.push(await profileStorm(server, profileDir, unprofiled));
        await servers.stopAll();
      }
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(jsonFile, JSON.stringify(result, null, 2));
      const md = markdown(result, previousNotes(mdFile));
      writeFileSync(mdFile, md);
      console.log(md.slice(0, md.indexOf('\n## ', md.indexOf('## By stage') + 1)));
    },
  );
}

// bench/fanout-profile.ts imports the analysis; only a run of this file measures.
if (require.main === module) {
  void main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
