import http from 'node:http';
import { AppProcess } from '../utils/app-process';
import { BrowserSession } from '../utils/browser-session';
import { SseClient } from '../utils/sse-client';
import { DIALECT, scratchDatabase, ScratchDatabase } from './scratch-database';

const PASSWORD = 'correct horse battery';

/**
 * SIGTERM to `node dist/main.js` (what a deployment sends): requests in flight finish, open
 * event streams end with a retry hint, and the process exits within a few seconds.
 */
describe(`Graceful stop of node dist/main.js (${DIALECT})`, () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await scratchDatabase();
  });

  afterAll(() => db?.drop());

  it('should finish the request in flight, end streams with a retry hint, and exit', async () => {
    const app = await AppProcess.start(
      {
        DATABASE_URL: db.url,
        JWT_SECRET: 'entry-point-secret-that-is-long-enough-0123456789',
        SSE_RETRY_MS: '1234',
      },
      { cwd: db.folder },
    );
    try {
      const browser = new BrowserSession(app.baseUrl);
      await browser.submit('/auth/register', '/auth/register', {
        username: 'alice',
        email: 'alice@example.com',
        password: PASSWORD,
        password2: PASSWORD,
      });
      const cookie = BrowserSession.authCookieOf(await browser.login('alice', PASSWORD));
      const stream = await SseClient.connect(app.baseUrl, '/notifications/stream', {
        Cookie: cookie,
      });
      await stream.waitFor((s) => s.frames.length >= 1);

      // A request whose body is still on its way when the stop begins.
      const body = JSON.stringify({ username: 'alice', password: 'wrong password' });
      const inFlight = new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${app.baseUrl}/api/auth/token`,
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), 500);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));

      const started = Date.now();
      const exited = new Promise<void>((resolve) => app.child.once('exit', () => resolve()));
      app.child.kill('SIGTERM');
      expect(await inFlight).toBe(401);
      await stream.waitFor((s) => s.ended, 3000);
      expect(stream.frames.at(-1)).toEqual({ id: '0:0', retry: '1234' });
      await exited;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(app.log).not.toMatch(/ERROR/);
    } finally {
      await app.stop('SIGKILL');
    }
  });
});
