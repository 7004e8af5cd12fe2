import type { Dialect } from '../../src/database/data-source-options';

/**
 * A database's tables and rows as its schema describes them, without knowing the app's
 * tables: for tests that must keep working when migrations add tables (fill every table,
 * then check which rows survived).
 */
export type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

interface Column {
  name: string;
  /** The declared type, lower case: `varchar(64)`, `datetime(3)`, `enum('a','b')`, ... */
  type: string;
  /** Filled by the database (an auto-increment id, a generated column): never inserted. */
  automatic: boolean;
}

interface ForeignKey {
  columns: string[];
  table: string;
  /** The parent's columns; empty on SQLite when the key names the parent's primary key. */
  refColumns: string[];
}

export interface TableShape {
  name: string;
  columns: Column[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
}

export function quote(dialect: Dialect, name: string): string {
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

/**
 * Every table, sorted, but those in `ignore`. On SQLite, ordinary tables only: a virtual
 * table (the FTS5 index posts_fts) and its shadow tables are written by triggers, not rows.
 */
export async function listTables(
  dialect: Dialect,
  query: Query,
  ignore: string[] = [],
): Promise<string[]> {
  const rows = await query<{ name: string }>(
    dialect === 'mysql'
      ? `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'`
      : `SELECT name FROM pragma_table_list
         WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'`,
  );
  return rows
    .map((row) => row.name)
    .filter((name) => !ignore.includes(name))
    .sort();
}

export async function describeTable(
  dialect: Dialect,
  query: Query,
  table: string,
): Promise<TableShape> {
  if (dialect === 'sqlite') {
    const columns = await query<{
      name: string;
      type: string;
      pk: number;
      hidden: number;
    }>(`PRAGMA table_xinfo(${quote(dialect, table)})`);
    const primaryKey = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    // A single INTEGER PRIMARY KEY is the rowid: SQLite numbers it. Hidden 2 and 3 are
    // generated columns.
    const rowid =
      primaryKey.length === 1 &&
      columns.find((c) => c.name === primaryKey[0])?.type.toLowerCase() === 'integer'
        ? primaryKey[0]
        : null;
    const foreignKeys = await query<{ id: number; from: string; table: string; to: string | null }>(
      `PRAGMA foreign_key_list(${quote(dialect, table)})`,
    );
    return {
      name: table,
      columns: columns.map((c) => ({
        name: c.name,
        type: c.type.toLowerCase(),
        automatic: c.name === rowid || c.hidden !== 0,
      })),
      primaryKey,
      foreignKeys: groupKeys(
        foreignKeys.map((f) => ({ ...f, id: String(f.id), column: f.from, refColumn: f.to })),
      ),
    };
  }
  const columns = await query<{ name: string; type: string; extra: string }>(
    `SELECT column_name AS name, column_type AS type, extra FROM information_schema.columns
     WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`,
    [table],
  );
  const keys = await query<{
    constraintName: string;
    column: string;
    refTable: string | null;
    refColumn: string | null;
  }>(
    `SELECT constraint_name AS constraintName, column_name AS \`column\`,
       referenced_table_name AS refTable, referenced_column_name AS refColumn
     FROM information_schema.key_column_usage
     WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`,
    [table],
  );
  return {
    name: table,
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type.toLowerCase(),
      automatic: /auto_increment|generated/i.test(c.extra),
    })),
    primaryKey: keys.filter((k) => k.constraintName === 'PRIMARY').map((k) => k.column),
    foreignKeys: groupKeys(
      keys
        .filter((k) => k.refTable !== null)
        .map((k) => ({ ...k, id: k.constraintName, table: k.refTable! })),
    ),
  };
}

/** One entry per foreign key, from one row per column of each. */
function groupKeys(
  rows: { id: string; column: string; table: string; refColumn: string | null }[],
): ForeignKey[] {
  const keys = new Map<string, ForeignKey>();
  for (const row of rows) {
    const key = keys.get(row.id) ?? { columns: [], table: row.table, refColumns: [] };
    key.columns.push(row.column);
    if (row.refColumn !== null) {
      key.refColumns.push(row.refColumn);
    }
    keys.set(row.id, key);
  }
  return [...keys.values()];
}

/**
 * What identifies each row of `table`, sorted: its primary key (the whole row in a table
 * without one), as JSON.
 */
export async function rowKeys(dialect: Dialect, query: Query, table: string): Promise<string[]> {
  const { primaryKey } = await describeTable(dialect, query, table);
  const columns = primaryKey.length > 0 ? primaryKey.map((c) => quote(dialect, c)).join(', ') : '*';
  const rows = await query(`SELECT ${columns} FROM ${quote(dialect, table)}`);
  return rows.map((row) => JSON.stringify(Object.values(row))).sort();
}

/**
 * Inserts `count` rows into each of `tables`, parents first. Every column the database does
 * not fill itself gets a value of its type, nullable ones too (the more there is to lose, the
 * more a test sees). Foreign keys point at existing parent rows, the k-th key to the same
 * table k rows further on, so pairs of keys to one table (a composite primary key) differ
 * and never point at one row twice. A type it does not know fails naming the column.
 */
export async function fillTables(
  dialect: Dialect,
  query: Query,
  tables: string[],
  count: number,
): Promise<void> {
  const shapes = await Promise.all(tables.map((table) => describeTable(dialect, query, table)));
  for (const shape of parentsFirst(shapes)) {
    // Column name to the values its rows take, from the parent rows.
    const fromParents = new Map<string, unknown[]>();
    for (const [n, key] of shape.foreignKeys.entries()) {
      const parent = shapes.find((s) => s.name === key.table);
      const refColumns = key.refColumns.length > 0 ? key.refColumns : parent?.primaryKey;
      if (!parent || !refColumns || refColumns.length !== key.columns.length) {
        throw new Error(
          `${shape.name} (${key.columns.join(', ')}): no ${key.table} row to point at`,
        );
      }
      const rows = await query(
        `SELECT ${refColumns.map((c) => quote(dialect, c)).join(', ')} FROM ${quote(dialect, parent.name)}`,
      );
      // The k-th key to the same table starts k rows further on.
      const offset = shape.foreignKeys.slice(0, n).filter((k) => k.table === key.table).length;
      if (rows.length < count || offset >= rows.length) {
        throw new Error(`${shape.name} (${key.columns.join(', ')}): too few ${parent.name} rows`);
      }
      key.columns.forEach((column, c) => {
        fromParents.set(
          column,
          Array.from({ length: count }, (_, i) => rows[(i + offset) % rows.length][refColumns[c]]),
        );
      });
    }
    const columns = shape.columns.filter((c) => !c.automatic);
    // Numbers go above those of rows a migration put there (a counter's one row, say).
    const above = new Map<string, number>();
    for (const column of columns) {
      if (isInteger(column) && !fromParents.has(column.name)) {
        const [{ top }] = await query<{ top: unknown }>(
          `SELECT MAX(${quote(dialect, column.name)}) AS top FROM ${quote(dialect, shape.name)}`,
        );
        above.set(column.name, Number(top ?? 0));
      }
    }
    const names = columns.map((c) => quote(dialect, c.name)).join(', ');
    const marks = columns.map(() => '?').join(', ');
    for (let i = 0; i < count; i++) {
      const values = columns.map(
        (column) =>
          fromParents.get(column.name)?.[i] ??
          valueOf(shape.name, column, i, above.get(column.name) ?? 0),
      );
      try {
        await query(
          `INSERT INTO ${quote(dialect, shape.name)} (${names}) VALUES (${marks})`,
          values,
        );
      } catch (error) {
        throw new Error(
          `Could not fill ${shape.name} (${JSON.stringify(values)}): ${String(error)}`,
        );
      }
    }
  }
}

/** The tables ordered so that every table comes after those its foreign keys point at. */
function parentsFirst(shapes: TableShape[]): TableShape[] {
  const ordered: TableShape[] = [];
  const remaining = [...shapes];
  while (remaining.length > 0) {
    const ready = remaining.findIndex((shape) =>
      shape.foreignKeys.every((k) => ordered.some((o) => o.name === k.table)),
    );
    if (ready < 0) {
      throw new Error(
        `Foreign keys in a cycle (or to a table not filled): ${remaining.map((s) => s.name).join(', ')}`,
      );
    }
    ordered.push(...remaining.splice(ready, 1));
  }
  return ordered;
}

function isInteger({ type }: Column): boolean {
  return /^(?:tiny|small|medium|big)?int(?:eger)?\b/.test(type) && !/^tinyint\(1\)/.test(type);
}

/**
 * Row `i`'s value for a column, distinct per row so unique columns stay unique; numbers go
 * above `above`.
 */
function valueOf(table: string, column: Column, i: number, above: number): unknown {
  const { name, type } = column;
  const enumerated = /^(?:enum|set)\('((?:[^']|'')*)'/.exec(type);
  if (enumerated) {
    return enumerated[1].replace(/''/g, "'");
  }
  if (/json/.test(type) || /json/i.test(name)) {
    return JSON.stringify({ row: i });
  }
  if (/^bool|^tinyint\(1\)|^bit/.test(type)) {
    return 0;
  }
  if (isInteger(column)) {
    return above + i + 1;
  }
  if (/double|float|real|decimal|numeric/.test(type)) {
    return i + 0.5;
  }
  const day = new Date(Date.UTC(2026, 0, 1 + i, 12)).toISOString();
  if (/datetime|timestamp/.test(type)) {
    return day.replace('T', ' ').replace('Z', '');
  }
  if (/^date/.test(type)) {
    return day.slice(0, 10);
  }
  if (/^time/.test(type)) {
    return day.slice(11, 19);
  }
  if (/char|text|clob/.test(type)) {
    const length = Number(/\((\d+)\)/.exec(type)?.[1] ?? 255);
    return `${i}-${table}-${name}`.slice(0, length);
  }
  if (/blob|binary/.test(type)) {
    return Buffer.from(`${i}-${table}-${name}`);
  }
  throw new Error(`No test value for ${table}.${name} of type ${type}: add one to valueOf`);
}
