/**
 * Where the time goes when one event fans out to every open stream, the app against the bare
 * Nest `@Sse` server (issue 21's fan-out target):
 *
 *   npx nest build && npx ts-node -T bench/fanout-profile.ts [--streams=10000] [--events=5]
 *     [--interval-us=200] [--out=fanout-profile]
 *
 * Each server runs in a fresh process under `--cpu-prof` (with bench/diagnostics-preload.js,
 * for an orderly exit that writes the profile), holds --streams idle streams of distinct users
 * from separate load processes, gets one announcement to everyone as a warm-up, then --events
 * more: the window runs from the first of those to the last stream having the last. Its
 * samples are split by stage (connect-profile.ts's STAGES) and by function, in µs per stream
 * per event, scaled to the server's CPU over the window from /proc. Writes
 * bench/results/<out>.{json,md}.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fanOut } from './capacity';
import { analyseProfile, CpuProfile, FunctionTime, StageTime } from './connect-profile';
import {
  connectStreams,
  diagnosticsNodeArgs,
  machineLine,
  option,
  procStat,
  Server,
  stopProcess,
  COMPARED_SERVERS,
  withComparedServers,
} from './lib';

const STREAMS = Number(option('streams') ?? 10_000);
const EVENTS = Number(option('events') ?? 5);
const INTERVAL_US = Number(option('interval-us') ?? 200);
const OUT = option('out') ?? 'fanout-profile';
const RESULTS = join(__dirname, 'results');
const TOP = 25;

interface FanOutProfile {
  server: string;
  streams: number;
  events: number;
  /** Time until the last stream had each announcement, ms. */
  fanOutMs: number[];
  missed: number;
  /** Server CPU over the window (/proc, every thread), µs per stream per event. */
  procCpuUsPerDelivery: number;
  windowMs: number;
  stages: StageTime[];
  selfTop: FunctionTime[];
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function profileFanOut(server: Server, profileDir: string): Promise<FanOutProfile> {
  const users = Array.from({ length: STREAMS }, (_, i) => i + 2);
  console.log(`${server.name}: ${STREAMS} streams...`);
  const { loads } = await connectStreams(server, users);
  try {
    await fanOut(server, loads, STREAMS, 1);
    console.log(`${server.name}: ${EVENTS} announcements to all, profiled`);
    const cpuBefore = procStat(server.child.pid!).cpuSeconds;
    const from = monotonicUs();
    const fan = await fanOut(server, loads, STREAMS, EVENTS);
    const to = monotonicUs();
    const deliveries = STREAMS * EVENTS - fan.missed;
    const cpuUs = (procStat(server.child.pid!).cpuSeconds - cpuBefore) * 1e6;
    await stopProcess(server.child, 'SIGTERM');
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      throw new Error(`${server.name} wrote no CPU profile`);
    }
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
    const analysed = analyseProfile(profile, from, to, deliveries, cpuUs / deliveries);
    return {
      server: server.name,
      streams: STREAMS,
      events: EVENTS,
      fanOutMs: fan.ms.runs,
      missed: fan.missed,
      procCpuUsPerDelivery: cpuUs / deliveries,
      windowMs: analysed.windowMs,
      stages: analysed.stages,
      selfTop: analysed.selfTop.slice(0, TOP),
    };
  } finally {
    loads.forEach((l) => l.close());
  }
}

const f2 = (v: number) => v.toFixed(2);

function markdown(result: { date: string; machine: string; servers: FanOutProfile[] }): string {
  const [bare, app] = result.servers;
  const stageNames = [...new Set(result.servers.flatMap((s) => s.stages.map((x) => x.stage)))];
  const usIn = (s: FanOutProfile, stage: string) =>
    s.stages.find((x) => x.stage === stage)?.usPerConnect ?? 0;
  return [
    `# Fan-out of one event to every stream: the app against the bare Nest \`@Sse\` server (${result.date})`,
    '',
    `Machine: ${result.machine}. \`npx ts-node -T bench/fanout-profile.ts --streams=${STREAMS} --events=${EVENTS}\`; samples every ${INTERVAL_US} µs.`,
    '',
    '| server | streams | fan-out ms per announcement | server CPU µs per stream per event (/proc) | missed |',
    '| --- | ---: | --- | ---: | ---: |',
    ...result.servers.map(
      (s) =>
        `| ${s.server} | ${s.streams} | ${s.fanOutMs.map((v) => v.toFixed(0)).join(', ')} | ${f2(s.procCpuUsPerDelivery)} | ${s.missed} |`,
    ),
    '',
    '## By stage, µs per stream per event',
    '',
    "| stage | app | bare @Sse | app - bare | the app's largest self times in it |",
    '| --- | ---: | ---: | ---: | --- |',
    ...stageNames
      .map((stage) => ({ stage, a: usIn(app, stage), b: usIn(bare, stage) }))
      .sort((x, y) => y.a - y.b - (x.a - x.b))
      .map(
        ({ stage, a, b }) =>
          `| ${stage} | ${f2(a)} | ${f2(b)} | ${f2(a - b)} | ${(
            app.stages.find((x) => x.stage === stage)?.top ?? []
          )
            .slice(0, 3)
            .map((t) => `${t.function} ${f2(t.usPerConnect)}`)
            .join('; ')
            .replace(/\|/g, '\\|')} |`,
      ),
    '',
    ...result.servers.flatMap((s) => [
      `## ${s.server}: largest self times, µs per stream per event`,
      '',
      '| function | package | µs | share |',
      '| --- | --- | ---: | ---: |',
      ...s.selfTop.map(
        (t) =>
          `| ${t.function.replace(/\|/g, '\\|')} | ${t.package} | ${f2(t.usPerConnect)} | ${(t.share * 100).toFixed(1)}% |`,
      ),
      '',
    ]),
  ].join('\n');
}

async function main(): Promise<void> {
  await withComparedServers('microblog-fanout-profile-', STREAMS + 2, async (servers) => {
    const result = {
      date: new Date().toISOString(),
      machine: machineLine(),
      loadAverageBefore: loadavg(),
      servers: [] as FanOutProfile[],
    };
    for (const name of COMPARED_SERVERS) {
      const profileDir = servers.folder(name);
      const server = await servers.start(
        name,
        [
          '--cpu-prof',
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-interval=${INTERVAL_US}`,
          ...diagnosticsNodeArgs(),
        ],
        { BENCH_DIAGNOSTICS_DIR: profileDir },
      );
      result.servers.push(await profileFanOut(server, profileDir));
      await servers.stopAll();
    }
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `${OUT}.json`), JSON.stringify(result, null, 2));
    writeFileSync(join(RESULTS, `${OUT}.md`), markdown(result) + '\n');
    console.log(markdown(result));
  });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
