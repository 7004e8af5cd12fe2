/**
 * Loaded with `node -r` into a server that bench/stream-heap.ts or bench/connect-profile.ts
 * measures (plain CommonJS: the built app runs without ts-node).
 *
 * Both reports go to BENCH_DIAGNOSTICS_DIR, numbered in the order asked (1, 2, ...); each
 * `<n>.json` holds process.memoryUsage() and the V8 heap spaces from just before and just after
 * a full garbage collection, and every collection V8 made since the previous report (its kind,
 * pause and the heap before and after it, from v8.GCProfiler); it appears last (the bench
 * waits for it):
 * - SIGHUP: the figures only, around global.gc() when the server runs with --expose-gc; with
 *   BENCH_ALLOCATION_SAMPLING=<bytes>, also `<n>.heapprofile`: V8's sampling heap profile of
 *   every allocation since the previous SIGHUP (one sample per that many bytes on average),
 *   garbage included, by stack (the inspector's HeapProfiler, in-process);
 * - SIGUSR2: around `<n>.heapsnapshot` as well (V8 collects all garbage before a snapshot).
 * - SIGTERM/SIGINT: once this is the signal's only listener left, process.exit(0). Node writes
 *   a --cpu-prof profile only on an orderly exit, and the app's graceful stop (Nest's shutdown
 *   hooks) ends by raising the signal again with its own listeners removed, which would kill
 *   the process before the profile is written. A server with no listener of its own (the bare
 *   @Sse server) exits at the first signal.
 */
const { writeFileSync, renameSync } = require('node:fs');
const { Session } = require('node:inspector');
const { join } = require('node:path');
const v8 = require('node:v8');

const dir = process.env.BENCH_DIAGNOSTICS_DIR;
let reports = 0;

function memory() {
  return {
    memoryUsage: process.memoryUsage(),
    heapSpaces: v8.getHeapSpaceStatistics().map((s) => ({
      name: s.space_name,
      size: s.space_size,
      used: s.space_used_size,
      available: s.space_available_size,
      committed: s.physical_space_size,
    })),
  };
}

const oldSpace = (stats) => stats.heapSpaceStatistics.find((s) => s.spaceName === 'old_space');
let gcProfiler = null;
function startGcProfiler() {
  gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
}

/** The collections since the previous call. */
function collections() {
  const data = gcProfiler.stop();
  startGcProfiler();
  return data.statistics.map((s) => ({
    type: s.gcType,
    costUs: s.cost,
    usedBefore: s.beforeGC.heapStatistics.usedHeapSize,
    usedAfter: s.afterGC.heapStatistics.usedHeapSize,
    oldSpaceBefore: oldSpace(s.beforeGC)?.spaceUsedSize ?? 0,
    oldSpaceAfter: oldSpace(s.afterGC)?.spaceUsedSize ?? 0,
  }));
}

const samplingInterval = Number(process.env.BENCH_ALLOCATION_SAMPLING ?? 0);
let inspector = null;

/** Ends the allocation sampling running (into `file`), then starts the next one. */
function sampleAllocations(file, done) {
  const start = () =>
    inspector.post(
      'HeapProfiler.startSampling',
      {
        samplingInterval,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      },
      () => done(),
    );
  if (!inspector) {
    inspector = new Session();
    inspector.connect();
    start();
    return;
  }
  inspector.post('HeapProfiler.stopSampling', (error, result) => {
    if (!error) {
      writeFileSync(file, JSON.stringify(result.profile));
    }
    start();
  });
}

function report(withSnapshot) {
  const n = ++reports;
  if (samplingInterval > 0 && !withSnapshot) {
    sampleAllocations(join(dir, `${n}.heapprofile`), () => write(n, false));
  } else {
    write(n, withSnapshot);
  }
}

function write(n, withSnapshot) {
  const gcs = collections();
  const before = memory();
  const started = Date.now();
  let file = null;
  if (withSnapshot) {
    file = v8.writeHeapSnapshot(join(dir, `${n}.heapsnapshot`));
  } else if (typeof global.gc === 'function') {
    global.gc();
  }
  const after = memory();
  collections(); // the report's own collection belongs to no interval
  const out = join(dir, `${n}.json`);
  const figures = { file, ms: Date.now() - started, before, after, collections: gcs };
  writeFileSync(`${out}.part`, JSON.stringify(figures));
  renameSync(`${out}.part`, out);
}

if (dir) {
  startGcProfiler();
  process.on('SIGHUP', () => report(false));
  process.on('SIGUSR2', () => report(true));
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (process.listenerCount(signal) === 1) {
      process.exit(0);
    }
  });
}
