/**
 * What the database benches share: scratch SQLite and MariaDB/MySQL databases built by the real
 * migrations, a seeded random generator, and multi-row inserts (bench/timeline.ts,
 * bench/search.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, EntityManager } from 'typeorm';
import { resolveDataSourceOptions } from '../src/database/data-source-options';
import { createScratchDatabase } from '../test/utils/mysql';

export type Dialect = 'sqlite' | 'mariadb';

/** Rows per multi-row INSERT: under SQLite's 32,766 parameters for the widest table. */
export const BATCH = 2_000;

export const log = (line: string) => process.stderr.write(`${line}\n`);
export const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
export const label = (posts: number) =>
  posts >= 1e6 ? `${posts / 1e6}M` : posts >= 1e3 ? `${posts / 1e3}k` : String(posts);

/** A seeded generator (mulberry32): every run builds the same data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function insertRows(
  m: EntityManager,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await m.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array<string>(batch.length).fill(tuple).join(', ')}`,
      batch.flat(),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Databases

export interface Target {
  dialect: Dialect;
  db: DataSource;
  version: string;
  /** Makes the planner's statistics current (MariaDB) after a seeding step. */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

async function openSqlite(prefix: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = await new DataSource(
    await resolveDataSourceOptions({ url: `sqlite:${join(dir, 'bench.sqlite')}`, poolSize: 1 }),
  ).initialize();
  await db.runMigrations();
  await db.query('PRAGMA journal_mode = WAL');
  await db.query('PRAGMA synchronous = OFF');
  const [{ version }]: { version: string }[] = await db.query('SELECT sqlite_version() AS version');
  return {
    dialect: 'sqlite',
    db,
    version: `SQLite ${version}`,
    analyze: async () => {},
    close: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openMariadb(): Promise<Target> {
  const scratch = await createScratchDatabase();
  const db = await new DataSource(
    await resolveDataSourceOptions({ url: scratch.url, poolSize: 2 }),
  ).initialize();
  await db.runMigrations();
  const [{ version }]: { version: string }[] = await db.query('SELECT VERSION() AS version');
  return {
    dialect: 'mariadb',
    db,
    version: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`,
    analyze: async () => {
      await db.query(
        'ANALYZE TABLE users, follows, blocks, posts, timeline_entries, notification_groups',
      );
    },
    close: async () => {
      await db.destroy();
      await scratch.drop();
    },
  };
}

/** A scratch database of `dialect`, migrated; `prefix` names the SQLite file's temp folder. */
export function openTarget(dialect: Dialect, prefix: string): Promise<Target> {
  return dialect === 'sqlite' ? openSqlite(prefix) : openMariadb();
}
