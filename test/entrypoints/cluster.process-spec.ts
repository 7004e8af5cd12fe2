import Database from 'better-sqlite3';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendLoad, signUp } from '../scaleout/stack';
import { AppProcess, waitUntil } from '../utils/app-process';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { descendantsOf, isAlive } from '../utils/processes';
import { SseClient } from '../utils/sse-client';

const RECIPIENTS = ['r1', 'r2', 'r3', 'r4'];
const STREAMS_PER_RECIPIENT = 2;

/**
 * `node dist/main.js` with WORKERS=2 on the embedded SQLite default: two worker processes
 * share the port and the database file, and hand events to each other over the cluster
 * channel. A killed worker is replaced, and its clients resume on the others without losing
 * or repeating an event.
 */
describe('node dist/main.js with WORKERS=2 (SQLite)', () => {
  let folder: string;
  let app: AppProcess;
  const open: SseClient[] = [];

  const rows = <T>(query: string, ...params: unknown[]): T[] => {
    const db = new Database(join(folder, 'db.sqlite'), { readonly: true });
    try {
      return db.prepare(query).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const unreadOf = (username: string) =>
    rows<{ n: number }>(
      'SELECT COUNT(*) AS n FROM messages m JOIN users u ON u.id = m.recipient_id WHERE u.username = ?',
      username,
    )[0].n;
  const connect = async (cookie: string, lastEventId = '') => {
    const client = await SseClient.openStream(app.baseUrl, cookie, lastEventId);
    open.push(client);
    return client;
  };
  const badge = (clients: SseClient[]) =>
    clients
      .flatMap((c) => [...c.states, ...c.events])
      .filter((e) => e.name === 'unread_message_count')
      .sort((a, b) => a.seq - b.seq)
      .at(-1);
  const workers = () => descendantsOf(app.child.pid as number).filter(isAlive);
  const expectNoIdTwice = (clients: SseClient[]) => {
    for (const client of clients) {
      const ids = client.events.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'microblog-cluster-'));
    app = await AppProcess.start(
      {
        WORKERS: '2',
        NODE_ENV: 'production',
        DATABASE_URL: `sqlite:${join(folder, 'db.sqlite')}`,
        JWT_SECRET: 'cluster-secret-that-is-long-enough-0123456789',
        LOGIN_RATE_LIMIT: '1000',
        PASSWORD_RESET_RATE_LIMIT: '4',
        REGISTER_RATE_LIMIT: '1000',
        SEND_RATE_LIMIT: '1000',
        SEND_ADDRESS_RATE_LIMIT: '1000',
        SSE_RETRY_MS: '500',
      },
      { cwd: folder },
    );
    await waitUntil(() => app.log.includes('All 2 workers are listening'), 'both workers');
  }, 60_000);

  afterAll(async () => {
    open.forEach((c) => c.close());
    await app?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('should count a rate limit once for all workers', async () => {
    // Every request on a new connection: the primary hands them to the workers in turn.
    const keepingAlive = http.globalAgent;
    http.globalAgent = new http.Agent({ keepAlive: false });
    const statuses: number[] = [];
    try {
      const tab = new BrowserSession(app.baseUrl);
      const token = csrfTokenOf((await tab.get('/auth/forgot_password')).text);
      for (let i = 0; i < 6; i++) {
        // Each for another address: only the limit per client address (4) applies.
        const res = await tab.agent
          .post('/auth/forgot_password')
          .set('Accept', 'text/html')
          .type('form')
          .send({ csrf_token: token, email: `nobody${i}@example.com` });
        statuses.push(res.status);
      }
    } finally {
      http.globalAgent = keepingAlive;
    }
    expect(statuses).toEqual([302, 302, 302, 302, 429, 429]);
  });

  it('should bring every event, in order and once, to streams on both workers, through a SIGKILL', async () => {
    const cookies = new Map<string, string>();
    for (const name of RECIPIENTS) {
      cookies.set(name, (await signUp(app, name)).cookie);
    }
    const senders = await Promise.all(
      ['s1', 's2', 's3'].map(async (n) => (await signUp(app, n)).session),
    );
    const streams = new Map<string, SseClient[]>();
    for (const name of RECIPIENTS) {
      const clients: SseClient[] = [];
      for (let i = 0; i < STREAMS_PER_RECIPIENT; i++) {
        clients.push(await connect(cookies.get(name) as string));
      }
      streams.set(name, clients);
    }
    const [victim, survivor] = workers();
    expect(survivor).toBeDefined();

    // A connection the primary was handing to the worker as it was killed is never answered nor
    // closed (node:cluster keeps the socket): a browser gives up on it, and so does the test.
    const { accepted, stop } = sendLoad(senders, RECIPIENTS, 10_000);
    await waitUntil(() => accepted.length >= 20, '20 sends before the kill');
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => app.log.includes(`Worker ${victim} died (SIGKILL)`), 'the death noticed');

    // The victim's streams ended, the survivor's did not: the streams were on both workers.
    const all = [...streams.values()].flat();
    await waitUntil(() => all.filter((c) => c.ended).length > 0, 'the victim streams to end');
    expect(all.filter((c) => !c.ended).length).toBeGreaterThan(0);
    // The browsers reconnect, each after the last id it saw, to whichever worker takes them.
    for (const name of RECIPIENTS) {
      const clients = streams.get(name) ?? [];
      for (const client of clients.filter((c) => c.ended)) {
        clients.push(await connect(cookies.get(name) as string, client.lastEventId));
      }
    }
    await waitUntil(() => /Worker \d+ is listening/.test(app.log), 'a new worker');
    const countAtRestart = accepted.length;
    await waitUntil(() => accepted.length >= countAtRestart + 20, '20 sends after the restart');
    await stop();

    const stored = new Set(rows<{ body: string }>('SELECT body FROM messages').map((r) => r.body));
    expect(accepted.filter((body) => !stored.has(body))).toEqual([]);
    for (const name of RECIPIENTS) {
      const clients = streams.get(name) ?? [];
      const live = clients.filter((c) => !c.ended);
      const unread = unreadOf(name);
      for (const client of live) {
        await client.waitFor(() => badge([client])?.data === unread, 5000);
        // In order: each event's number above the one before.
        const seqs = client.events.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      expectNoIdTwice(clients);
    }
  }, 90_000);
});
