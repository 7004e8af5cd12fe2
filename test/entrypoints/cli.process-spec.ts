import { AppProcess, runBuilt, STACK_LINE } from '../utils/app-process';
import { BrowserSession } from '../utils/browser-session';
import { DIALECT, scratchDatabase, ScratchDatabase } from './scratch-database';

const PASSWORD = 'correct horse battery';

/**
 * `node dist/cli.js create-admin ...` (README, Admin JSON API, step 1; `npm run cli --` builds
 * first and runs the same file), against a database a running app process also uses.
 */
describe(`CLI, node dist/cli.js create-admin (${DIALECT})`, () => {
  let db: ScratchDatabase;
  let app: AppProcess;

  const env = () => ({
    DATABASE_URL: db.url,
    JWT_SECRET: 'entry-point-secret-that-is-long-enough-0123456789',
    LOGIN_RATE_LIMIT: '1000',
  });
  const cli = (...args: string[]) => runBuilt('cli', args, { env: env(), cwd: db.folder });

  const userRow = async (username: string) =>
    (
      await db.query<{ role: string; email: string; password_hash: string }>(
        'SELECT role, email, password_hash FROM users WHERE username = ?',
        [username],
      )
    )[0];

  const token = async (username: string, password: string) => {
    const res = await fetch(`${app.baseUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return {
      status: res.status,
      token: ((await res.json()) as { access_token?: string }).access_token,
    };
  };

  /** The status of an admin-only route for a bearer token. */
  const adminStatus = async (bearer: string | undefined) =>
    (
      await fetch(`${app.baseUrl}/api/admin/stats`, {
        headers: { Authorization: `Bearer ${bearer}` },
      })
    ).status;

  beforeAll(async () => {
    db = await scratchDatabase();
    app = await AppProcess.start(env(), { cwd: db.folder });
    const alice = new BrowserSession(app.baseUrl);
    const registered = await alice.submit('/auth/register', '/auth/register', {
      username: 'alice',
      email: 'alice@example.com',
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(registered.status).toBe(302);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('should promote an existing user, who then gets into the admin API', async () => {
    const before = await token('alice', PASSWORD);
    expect(before.status).toBe(200);
    expect(await adminStatus(before.token)).toBe(403);

    const result = await cli('create-admin', 'alice');

    expect([result.code, result.output]).toEqual([
      0,
      expect.stringContaining('alice is now an admin.'),
    ]);
    expect((await userRow('alice')).role).toBe('admin');
    const after = await token('alice', PASSWORD);
    expect(after.status).toBe(200);
    expect(await adminStatus(after.token)).toBe(200);
  });

  it('should create an admin account with --email and --password that can log in', async () => {
    const result = await cli(
      'create-admin',
      'root',
      '--email',
      'root@example.com',
      '--password',
      PASSWORD,
    );

    expect([result.code, result.output]).toEqual([
      0,
      expect.stringContaining('Created the admin account root.'),
    ]);
    const row = await userRow('root');
    expect(row).toEqual({
      role: 'admin',
      email: 'root@example.com',
      password_hash: expect.stringMatching(/^\$argon2id\$/),
    });
    expect((await token('root', 'not the password')).status).toBe(401);
    const login = await token('root', PASSWORD);
    expect(login.status).toBe(200);
    expect(await adminStatus(login.token)).toBe(200);
  });

  it('should refuse bad usage with a readable message and a non-zero exit, no stack trace', async () => {
    const cases: [string[], string][] = [
      [[], 'Usage:'],
      [['make-admin', 'alice'], 'Usage:'],
      [['create-admin'], 'Usage:'],
      [
        ['create-admin', 'ghost'],
        'There is no user "ghost". To create one, give --email and --password',
      ],
      [
        ['create-admin', 'bob', '--email', 'bob@example.com', '--password', 'short'],
        '(8+ characters)',
      ],
      [
        ['create-admin', 'bob', '--email', 'alice@example.com', '--password', PASSWORD],
        'The email alice@example.com is already used by another account.',
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));

    results.forEach((result, i) => {
      expect([cases[i][0], result.code === 0, result.output]).toEqual([
        cases[i][0],
        false,
        expect.stringContaining(cases[i][1]),
      ]);
      expect(result.output).not.toMatch(STACK_LINE);
    });
    expect(await userRow('ghost')).toBeUndefined();
    expect(await userRow('bob')).toBeUndefined();
  });
});
