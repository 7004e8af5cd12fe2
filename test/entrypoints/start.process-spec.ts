import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, freePort, healthAnswers, ROOT, runBuilt, waitUntil } from '../utils/app-process';
import { commandOf, descendantsOf, isAlive } from '../utils/processes';

/** What `npm start` needs of a clone: everything it builds from and serves, and node_modules. */
const PROJECT_FILES = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
  'src',
  'views',
  'i18n',
  'public',
];

/**
 * `npm start` as README's quick start runs it (prestart builds, then the server on the
 * default SQLite file), in a copy of the project so its build does not replace the dist/ other
 * tests are running.
 */
describe('npm start', () => {
  let project: string;
  let npm: ChildProcess | undefined;
  let tree: number[] = [];

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'microblog-npm-start-'));
    for (const file of PROJECT_FILES) {
      cpSync(join(ROOT, file), join(project, file), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  });

  afterEach(() => {
    // Whatever a failed test left running.
    for (const pid of [...tree, npm?.pid ?? 0].filter((pid) => pid > 0 && isAlive(pid))) {
      process.kill(pid, 'SIGKILL');
    }
    tree = [];
  });

  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'should leave no server process behind when npm gets %s',
    async (signal) => {
      const port = await freePort();
      let output = '';
      const child = spawn('npm', ['start'], {
        cwd: project,
        env: childEnv({ PORT: String(port), HOST: '127.0.0.1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      npm = child;
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

      await waitUntil(() => healthAnswers(port), `npm start on ${port}`, 90_000).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n${output}`);
        },
      );
      tree = descendantsOf(child.pid!);
      expect(tree.map(commandOf)).toContainEqual(expect.stringContaining('dist/main.js'));
      expect(existsSync(join(project, 'data/microblog.sqlite'))).toBe(true);

      child.kill(signal);

      await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 'npm to exit');
      await waitUntil(
        () => tree.every((pid) => !isAlive(pid)),
        `${tree.filter(isAlive).map(commandOf).join(', ')} to exit after npm`,
        5_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      });
      expect(await healthAnswers(port)).toBe(false);
    },
    120_000,
  );
});

/** The server refuses to start on a setting it can't use, and says which and why. */
describe('node dist/main.js start-up checks', () => {
  it('should exit with a message naming each invalid variable', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ TRUST_PROXY: '10.0.0.0/40' }, 'TRUST_PROXY must be true, false, a hop count'],
      [{ TRUST_PROXY: 'proxy.example.com' }, '"proxy.example.com" is not an IP address'],
      [{ HOST: 'not a host' }, 'HOST must be an IP address'],
      [{ DB_POOL_SIZE: '1001' }, 'DB_POOL_SIZE must be a whole number from 1 to 1000'],
      [{ DB_MIGRATIONS_RUN: 'no' }, 'DB_MIGRATIONS_RUN must be true or false'],
      [{ SMTP_URL: 'mail.example.com:25' }, 'SMTP_URL must look like smtp://'],
      [{ PUBLIC_URL: 'example.com' }, 'PUBLIC_URL must look like https://example.com'],
      [{ EMAIL_DIGEST_AFTER: 'hourly' }, 'EMAIL_DIGEST_AFTER must be a duration'],
      [{ WORKERS: '0' }, 'WORKERS must be a whole number from 1 to 64'],
      // Found by a worker: the cluster stops and exits as one process would.
      [{ WORKERS: '2', HOST: 'not a host' }, 'HOST must be an IP address'],
    ];
    const folder = mkdtempSync(join(tmpdir(), 'microblog-main-'));
    try {
      const results = await Promise.all(
        cases.map(async ([env]) =>
          runBuilt('main', [], {
            cwd: folder,
            env: { ...env, PORT: String(await freePort()), DATABASE_URL: 'sqlite::memory:' },
          }),
        ),
      );
      results.forEach((result, i) => {
        expect([cases[i][0], result.code, result.output]).toEqual([
          cases[i][0],
          1,
          expect.stringContaining(cases[i][1]),
        ]);
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
