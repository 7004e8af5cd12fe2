/**
 * `npm run bench:sessions`: what the server-side session check adds to each authenticated
 * request and each stream connect. In-process, warmed up, on the app's own services:
 *   - user load: UsersService.findById, what a request cost before sessions existed;
 *   - session check: SessionsService.activeUser, the session joined to its user, which replaces
 *     it on every request and connect;
 *   - token verify: the JWT signature and expiry check both paths share;
 *   - full HTTP: GET /notifications with a cookie, through the guard, on loopback.
 * On SQLite (a temp file) and, when it answers, on MariaDB/MySQL (TEST_MYSQL_URL). Prints a
 * table and writes bench/results/session-check.json and .md.
 */
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { JwtService } from '@nestjs/jwt';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/app.setup';
import { AuthService } from '../src/auth/auth.service';
import { SessionsService } from '../src/auth/sessions.service';
import { User } from '../src/users/user.entity';
import { UsersService } from '../src/users/users.service';
import { createScratchDatabase, mysqlAnswers } from '../test/utils/mysql';
import { ROOT, SECRET } from './lib';

const USERS = 1000;
const CALLS = 5000;
const HTTP_CALLS = 2000;

interface Row {
  database: string;
  userLoadUs: number;
  sessionCheckUs: number;
  addedUs: number;
  tokenVerifyUs: number;
  httpRequestUs: number;
}

/** Mean microseconds per call of `fn`, run one after another, after a warm-up. */
async function perCall(calls: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    await fn(i);
  }
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    await fn(i);
  }
  return ((performance.now() - start) * 1000) / calls;
}

async function measure(database: string, databaseUrl: string): Promise<Row> {
  Object.assign(process.env, {
    NODE_ENV: 'production',
    JWT_SECRET: SECRET,
    DATABASE_URL: databaseUrl,
    LOGIN_RATE_LIMIT: '1000000',
    SEND_RATE_LIMIT: '1000000',
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    logger: ['error', 'warn'],
    forceCloseConnections: true,
  });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  try {
    const users = app.get(UsersService);
    const sessions = app.get(SessionsService);
    const jwt = app.get(JwtService);
    const created: User[] = [];
    for (let i = 0; i < USERS; i++) {
      created.push(
        await users.create({ username: `u${i}`, email: `u${i}@example.com`, passwordHash: 'x' }),
      );
    }
    const tokens = await Promise.all(
      created
        .slice(0, 100)
        .map(async (u) => (await app.get(AuthService).issueToken(u, false)).token),
    );
    const claims = tokens.map((t) => jwt.decode<{ sub: number; sid: string }>(t));
    const userLoadUs = await perCall(CALLS, (i) => users.findById(created[i % USERS].id));
    const sessionCheckUs = await perCall(CALLS, (i) => {
      const { sub, sid } = claims[i % claims.length];
      return sessions.activeUser(sub, sid);
    });
    const tokenVerifyUs = await perCall(CALLS, (i) => jwt.verifyAsync(tokens[i % tokens.length]));
    const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/notifications?since=0`;
    const httpRequestUs = await perCall(HTTP_CALLS, async (i) => {
      const res = await fetch(url, {
        headers: { Cookie: `mb_token=${tokens[i % tokens.length]}` },
      });
      if (res.status !== 200) {
        throw new Error(`GET /notifications answered ${res.status}`);
      }
      await res.arrayBuffer();
    });
    return {
      database,
      userLoadUs,
      sessionCheckUs,
      addedUs: sessionCheckUs - userLoadUs,
      tokenVerifyUs,
      httpRequestUs,
    };
  } finally {
    await app.close();
  }
}

function table(rows: Row[]): string {
  const f = (v: number) => v.toFixed(0);
  return [
    '| database | user load µs (before) | session check µs (now) | added per request/connect µs | JWT verify µs | GET /notifications µs (full HTTP) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.database} | ${f(r.userLoadUs)} | ${f(r.sessionCheckUs)} | ${f(r.addedUs)} | ${f(r.tokenVerifyUs)} | ${f(r.httpRequestUs)} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const sqliteFile = join(mkdtempSync(join(tmpdir(), 'bench-sessions-')), 'bench.sqlite');
  rows.push(await measure('SQLite (file, WAL)', `sqlite:${sqliteFile}`));
  if (await mysqlAnswers()) {
    const scratch = await createScratchDatabase();
    try {
      rows.push(await measure('MariaDB/MySQL', scratch.url));
    } finally {
      await scratch.drop();
    }
  } else {
    console.warn('!!! No MySQL/MariaDB answers at TEST_MYSQL_URL: measured on SQLite only');
  }
  const markdown = `# Session check cost\n\n${CALLS} calls each, sequential, warmed up; full HTTP: ${HTTP_CALLS} requests on loopback. Node ${process.version}.\n\n${table(rows)}\n`;
  console.log(JSON.stringify(rows, null, 2));
  console.log(`\n${table(rows)}\n`);
  writeFileSync(
    join(ROOT, 'bench/results/session-check.json'),
    `${JSON.stringify(rows, null, 2)}\n`,
  );
  writeFileSync(join(ROOT, 'bench/results/session-check.md'), markdown);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
