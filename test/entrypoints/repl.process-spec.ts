import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { childEnv, ROOT, waitUntil } from '../utils/app-process';
import { DIALECT, scratchDatabase, ScratchDatabase } from './scratch-database';

/** `node dist/repl.js` (what `npm run repl` runs after building) with its input piped. */
class ReplProcess {
  private output = '';
  private read = 0;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  static start(env: Record<string, string>, cwd: string): ReplProcess {
    return new ReplProcess(
      spawn(process.execPath, [join(ROOT, 'dist/repl.js')], { cwd, env: childEnv(env) }),
    );
  }

  get log(): string {
    return this.output;
  }

  /** Sends one line and waits for output after it that matches `answer`. */
  async evaluate(line: string, answer: RegExp): Promise<RegExpExecArray> {
    this.child.stdin.write(`${line}\n`);
    let match: RegExpExecArray | null = null;
    await waitUntil(
      () => (match = answer.exec(this.output.slice(this.read))) !== null,
      `${answer} after \`${line}\` in:\n${this.output}`,
    );
    this.read = this.output.length;
    return match!;
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  /** The exit code, or an error if it is still running after `timeoutMs`. */
  async exit(timeoutMs = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the REPL did not exit:\n${this.output}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
  }
}

describe(`REPL, node dist/repl.js (${DIALECT})`, () => {
  let db: ScratchDatabase;
  let repl: ReplProcess | undefined;

  const env = () => ({
    DATABASE_URL: db.url,
    JWT_SECRET: 'entry-point-secret-that-is-long-enough-0123456789',
  });

  beforeAll(async () => {
    db = await scratchDatabase();
  });

  afterEach(() => repl?.kill());

  afterAll(() => db.drop());

  it('should start on a fresh database and evaluate expressions with the models and services', async () => {
    repl = ReplProcess.start(env(), db.folder);

    await repl.evaluate('User.name', /'User'/);
    await repl.evaluate('get(UsersService).constructor.name', /'UsersService'/);
    const before = await repl.evaluate(
      'JSON.stringify({ users: await users.count(), type: dataSource.options.type })',
      /'(\{.*\})'/,
    );
    expect(JSON.parse(before[1])).toEqual({
      users: 0,
      type: DIALECT === 'mysql' ? 'mariadb' : 'better-sqlite3',
    });
    await repl.evaluate(
      "(await get(UsersService).create({ username: 'from_repl', email: 'repl@example.com', " +
        "passwordHash: 'not-a-hash' })).username",
      /'from_repl'/,
    );
    const count = await repl.evaluate(
      "await users.countBy({ username: 'from_repl' })",
      /^(?:> )*(\d+)$/m,
    );
    expect(count[1]).toBe('1');
    repl.send('.exit');

    await expect(repl.exit()).resolves.toBe(0);
    expect(await db.query('SELECT username, email FROM users')).toEqual([
      { username: 'from_repl', email: 'repl@example.com' },
    ]);
  });

  it('should exit when its input ends', async () => {
    repl = ReplProcess.start(env(), db.folder);

    await repl.evaluate('[Message.name, Notification.name].join()', /'Message,Notification'/);
    repl.endInput();

    await expect(repl.exit()).resolves.toBe(0);
  });
});
