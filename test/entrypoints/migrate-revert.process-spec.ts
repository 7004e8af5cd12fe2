import { spawn } from 'node:child_process';
import { DataSource, DataSourceOptions } from 'typeorm';
import { resolveDataSourceOptions } from '../../src/database/data-source-options';
import { MYSQL_MIGRATIONS } from '../../src/database/migrations/mysql';
import { SQLITE_MIGRATIONS } from '../../src/database/migrations/sqlite';
import { childEnv, Finished, ROOT, runBuilt } from '../utils/app-process';
import { fillTables, listTables, Query, rowKeys } from '../utils/table-rows';
import { DIALECT, scratchDatabase, ScratchDatabase } from './scratch-database';

const MIGRATIONS = DIALECT === 'mysql' ? MYSQL_MIGRATIONS : SQLITE_MIGRATIONS;
const NAMES = MIGRATIONS.map((m) => m.name);
const ROWS_PER_TABLE = 3;
/** TypeORM's own tables (applied migrations, generated column expressions), not the app's data. */
const BOOKKEEPING = ['migrations', 'typeorm_metadata'];

/**
 * `npm run <script>` in the project, as README tells an operator to run it, with ts-node's
 * type check off (`npm run check` does that): a process per migration adds up.
 */
function npmRun(script: string, env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', script], {
      cwd: ROOT,
      env: childEnv({ ...env, TS_NODE_TRANSPILE_ONLY: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own, so a timeout ends npm's children too.
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += '\n[killed: still running after 60 s]';
      process.kill(-child.pid!, 'SIGKILL');
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** What became of a table's rows, by their keys. */
function difference(before: string[], after: string[] | undefined): string {
  if (!after) {
    return `${before.length} rows before, the table is gone`;
  }
  const lost = before.filter((key) => !after.includes(key));
  const added = after.filter((key) => !before.includes(key));
  return (
    `${before.length} rows before, ${after.length} after` +
    (lost.length > 0 ? `, lost ${lost.join(' ')}` : '') +
    (added.length > 0 ? `, new ${added.join(' ')}` : '')
  );
}

/**
 * Every migration reverted one at a time with `npm run migration:revert`, on a database with
 * rows in every table, then applied again with `node dist/migrate.js`. A migration owns the
 * tables that appear when its up() runs (learnt by applying the migrations one at a time);
 * reverting it may drop those, and must leave every row of every other table where it was.
 * The tables and their columns come from the schema, so migrations added later are covered.
 */
describe(`Reverting every migration one at a time, with data (${DIALECT})`, () => {
  let db: ScratchDatabase;
  let options: DataSourceOptions;
  /** The app's tables after the first k migrations: tablesAfter[k], k = 0 .. NAMES.length. */
  const tablesAfter: string[][] = [[]];
  /** Each table's rows before the test filled it (a migration may put some there). */
  let rowsFromMigrations: Record<string, number>;

  const appTables = (query: Query = db.query) => listTables(DIALECT, query, BOOKKEEPING);
  const applied = async () =>
    (await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id')).map(
      (r) => r.name,
    );

  async function withDataSource<T>(
    migrationCount: number,
    use: (dataSource: DataSource) => Promise<T>,
  ): Promise<T> {
    const dataSource = new DataSource({
      ...options,
      migrations: MIGRATIONS.slice(0, migrationCount),
    });
    await dataSource.initialize();
    try {
      return await use(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  /** Each table's row keys. */
  async function contents(tables: string[]): Promise<Record<string, string[]>> {
    const keys: Record<string, string[]> = {};
    for (const table of tables) {
      keys[table] = await rowKeys(DIALECT, db.query, table);
    }
    return keys;
  }

  async function counts(tables: string[]): Promise<Record<string, number>> {
    const keys = await contents(tables);
    return Object.fromEntries(tables.map((table) => [table, keys[table].length]));
  }

  beforeAll(async () => {
    db = await scratchDatabase();
    options = await resolveDataSourceOptions({ url: db.url, poolSize: 2 });
    for (let count = 1; count <= MIGRATIONS.length; count++) {
      await withDataSource(count, async (dataSource) => {
        await dataSource.runMigrations({ transaction: 'each' });
        tablesAfter.push(await appTables((sql, params) => dataSource.query(sql, params)));
      });
    }
    rowsFromMigrations = await counts(tablesAfter[MIGRATIONS.length]);
    await withDataSource(MIGRATIONS.length, (dataSource) =>
      fillTables(
        DIALECT,
        (sql, params) => dataSource.query(sql, params),
        tablesAfter[MIGRATIONS.length],
        ROWS_PER_TABLE,
      ),
    );
  }, 60_000);

  afterAll(() => db?.drop());

  it('should start with every migration applied and rows in every table', async () => {
    expect(await applied()).toEqual(NAMES);
    const tables = await appTables();
    expect(tables).toEqual(expect.arrayContaining(['users', 'messages', 'notifications']));
    expect(await counts(tables)).toEqual(
      Object.fromEntries(
        tables.map((table) => [table, (rowsFromMigrations[table] ?? 0) + ROWS_PER_TABLE]),
      ),
    );
  });

  it('should keep every row of the tables a migration does not own when reverting it', async () => {
    const lost: Record<string, unknown> = {};
    for (let count = NAMES.length; count > 0; count--) {
      const name = NAMES[count - 1];
      const owned = tablesAfter[count].filter((t) => !tablesAfter[count - 1].includes(t));
      const tables = await appTables();
      const before = await contents(tables.filter((t) => !owned.includes(t)));

      const reverted = await npmRun('migration:revert', { DATABASE_URL: db.url });
      expect([name, reverted.code, reverted.output]).toEqual([
        name,
        0,
        expect.stringContaining(`Migration ${name} has been reverted successfully`),
      ]);
      expect(await applied()).toEqual(NAMES.slice(0, count - 1));

      const left = await appTables();
      const after = await contents(left.filter((t) => Object.keys(before).includes(t)));
      const changed = Object.keys(before).filter(
        (t) => JSON.stringify(after[t]) !== JSON.stringify(before[t]),
      );
      const kept = owned.filter((t) => left.includes(t));
      if (changed.length > 0 || kept.length > 0) {
        lost[name] = {
          ...Object.fromEntries(changed.map((t) => [t, difference(before[t], after[t])])),
          ...(kept.length > 0 ? { 'its own tables left behind': kept } : {}),
        };
      }
    }
    expect(lost).toEqual({});
    expect(await appTables()).toEqual([]);
  }, 240_000);

  it('should build the schema the entities describe when migrated up again', async () => {
    const result = await runBuilt('migrate', [], {
      env: { DATABASE_URL: db.url },
      cwd: db.folder,
      timeoutMs: 60_000,
    });
    expect([result.code, result.output]).toEqual([0, expect.stringContaining('Applied ')]);
    expect(await applied()).toEqual(NAMES);
    expect(await appTables()).toEqual(tablesAfter[NAMES.length]);
    // The comparison `typeorm migration:generate --check` makes.
    const pending = await withDataSource(NAMES.length, (dataSource) =>
      dataSource.driver.createSchemaBuilder().log(),
    );
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  }, 60_000);
});
