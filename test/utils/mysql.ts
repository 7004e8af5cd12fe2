import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';

export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';

async function run(sql: string): Promise<void> {
  const connection = await createConnection(TEST_MYSQL_URL);
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

/** A fresh utf8mb4 database of the test's own; returns its URL and a function that drops it. */
export async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `app_test_${randomBytes(5).toString('hex')}`;
  await run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    url: `${TEST_MYSQL_URL.replace(/\/$/, '')}/${name}`,
    drop: () => run(`DROP DATABASE IF EXISTS \`${name}\``),
  };
}

export async function mysqlAnswers(): Promise<boolean> {
  try {
    await run('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
