import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MYSQL_MIGRATIONS } from '../../src/database/migrations/mysql';
import { SQLITE_MIGRATIONS } from '../../src/database/migrations/sqlite';
import { childEnv, ROOT, runBuilt, STACK_LINE } from '../utils/app-process';
import { DIALECT, scratchDatabase, ScratchDatabase } from './scratch-database';

const MIGRATIONS = (DIALECT === 'mysql' ? MYSQL_MIGRATIONS : SQLITE_MIGRATIONS).map((m) => m.name);

/** `node dist/migrate.js`, as a deployment runs it once before starting app processes. */
describe(`Migration runner, node dist/migrate.js (${DIALECT})`, () => {
  let db: ScratchDatabase;

  const migrate = (env: Record<string, string>) => runBuilt('migrate', [], { env, cwd: db.folder });
  const applied = async () =>
    (await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id')).map(
      (r) => r.name,
    );

  beforeEach(async () => {
    db = await scratchDatabase();
  });

  afterEach(() => db.drop());

  it('should apply every migration to a fresh database, then say it is up to date', async () => {
    const first = await migrate({ DATABASE_URL: db.url });
    expect([first.code, first.output]).toEqual([0, expect.stringContaining('Applied ')]);
    for (const name of MIGRATIONS) {
      expect(first.output).toContain(name);
    }
    expect(await applied()).toEqual(MIGRATIONS);
    expect(await db.tables()).toEqual(
      expect.arrayContaining(['users', 'messages', 'notifications']),
    );

    const second = await migrate({ DATABASE_URL: db.url });
    expect([second.code, second.output]).toEqual([
      0,
      expect.stringContaining('The database is up to date'),
    ]);
    expect(second.output).not.toContain('Applied');
    expect(await applied()).toEqual(MIGRATIONS);
  });

  it('should read .env from the working directory, a variable already set winning', async () => {
    const envFile = join(db.folder, '.env');
    writeFileSync(envFile, `DATABASE_URL=${db.url}\nDB_POOL_SIZE=5\n`);
    const fromFile = await migrate({});
    expect([fromFile.code, fromFile.output]).toEqual([0, expect.stringContaining('Applied ')]);
    expect(await applied()).toEqual(MIGRATIONS);

    // A value in .env that would fail must lose against the environment's.
    writeFileSync(envFile, 'DATABASE_URL=not-a-database-url\n');
    const fromEnv = await migrate({ DATABASE_URL: db.url });
    expect([fromEnv.code, fromEnv.output]).toEqual([
      0,
      expect.stringContaining('The database is up to date'),
    ]);
    const fileOnly = await migrate({});
    expect([fileOnly.code, fileOnly.output]).toEqual([
      1,
      expect.stringContaining('DATABASE_URL must look like'),
    ]);
  });

  it('should refuse invalid settings with a message naming the variable, and no stack', async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { DATABASE_URL: 'postgres://db/x' },
        'DATABASE_URL must look like sqlite:<path> or mysql://',
      ],
      [{ DATABASE_URL: db.url, DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE must be a whole number from 1'],
      [{ DATABASE_URL: db.url, DB_POOL_SIZE: 'ten' }, 'DB_POOL_SIZE must be a whole number from 1'],
    ];
    const results = await Promise.all(cases.map(([env]) => migrate(env)));
    results.forEach((result, i) => {
      expect([result.code, result.output]).toEqual([1, expect.stringContaining(cases[i][1])]);
      expect(result.output).not.toMatch(STACK_LINE);
    });
    expect(await db.tables()).not.toContain('migrations');
  });
});

/** `npm run migration:run`: the TypeORM CLI on ormconfig.ts, which reads `.env` like the app. */
describe(`TypeORM CLI on ormconfig.ts (${DIALECT})`, () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await scratchDatabase();
  });

  afterAll(() => db.drop());

  it('should take DATABASE_URL from .env in the working directory', async () => {
    writeFileSync(join(db.folder, '.env'), `DATABASE_URL=${db.url}\n`);
    const result = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        join(ROOT, 'node_modules/.bin/typeorm-ts-node-commonjs'),
        ['migration:run', '-d', join(ROOT, 'ormconfig.ts')],
        {
          cwd: db.folder,
          // The project's compiler options, found from the root when run there by npm.
          env: childEnv({
            TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
            TS_NODE_TRANSPILE_ONLY: '1',
          }),
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: stdout + stderr }),
      );
    });

    expect([result.code, result.output]).toEqual([
      0,
      expect.stringContaining(MIGRATIONS[MIGRATIONS.length - 1]),
    ]);
    const rows = await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS);
  }, 60_000);
});
