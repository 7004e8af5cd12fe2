import type { ParsedMail } from 'mailparser';
import type { Connection } from 'mysql2/promise';
import { waitUntil } from '../utils/app-process';
import { BrowserSession } from '../utils/browser-session';
import { TestSmtpServer } from '../utils/smtp';
import { AppProcess } from './app-process';
import { PASSWORD, ScaleOutStack, signUp } from './stack';

const PUBLIC_URL = 'http://mail.microblog.test';
/** The digest period: a user not seen for 3 s with unread messages gets one. */
const DIGEST_AFTER = '3s';
const TICK_MS = 300;
/** The lease outlives five ticks (DigestScheduler). */
const LEASE_MS = 5 * TICK_MS;

interface Row {
  id: number;
}

/** A datetime(3) value in UTC, as the app stores it. */
const utc = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

/** Digests carry the one-click unsubscribe header; registration's confirmations do not. */
const isDigest = (mail: ParsedMail) =>
  mail.headerLines.some((h) => h.key === 'list-unsubscribe-post');

/**
 * Digests with two production processes on one MariaDB database and one SMTP server, on the
 * real timer: every process ticks, one holds the `digests` lease, and each digest goes out
 * exactly once, also when the holder is killed (SIGKILL) in the middle of a user's digest or
 * after queuing it while the SMTP server refuses.
 */
describe('Scale-out: digest emails from two processes', () => {
  let stack: ScaleOutStack;
  let smtp: TestSmtpServer;
  const apps: AppProcess[] = [];
  /** Alice's browser on each process (a process may have been killed since). */
  const alices = new Map<AppProcess, BrowserSession>();
  const sql = <T>(query: string, params: unknown[] = []) => stack.sql<T>(query, params);

  const startApp = async () => {
    const app = await stack.startApp({
      SMTP_URL: smtp.url,
      PUBLIC_URL,
      EMAIL_DIGEST_AFTER: DIGEST_AFTER,
      DIGEST_TICK_MS: String(TICK_MS),
      MAIL_POLL_MS: '200',
      MAIL_RETRY_BASE_MS: '1000',
    });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    stack = await ScaleOutStack.start();
    await Promise.all([startApp(), startApp()]);
    await signUp(apps[0], 'alice');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await stack?.stop();
    await smtp?.stop();
  });

  const alive = (app: AppProcess) => app.child.exitCode === null && app.child.signalCode === null;
  const anyApp = () => apps.filter(alive)[0];
  async function aliceOn(app: AppProcess): Promise<BrowserSession> {
    let browser = alices.get(app);
    if (!browser) {
      browser = new BrowserSession(app.baseUrl);
      await browser.login('alice', PASSWORD);
      alices.set(app, browser);
    }
    return browser;
  }

  const digestsTo = (username: string) => smtp.to(`${username}@example.com`).filter(isDigest);
  const outboxOf = (username: string) =>
    sql<Row[]>(
      `SELECT e.id, e.attempts, e.status, e.claimed_until AS claimedUntil FROM outbound_emails e
       JOIN users u ON u.id = e.user_id WHERE u.username = ? AND e.kind = 'digest'`,
      [username],
    ) as Promise<(Row & { attempts: number; status: string; claimedUntil: Date | null })[]>;

  /** The process holding the digest lease now (its pid is in the holder's name). */
  async function leaseHolder(): Promise<AppProcess | undefined> {
    const [lease] = await sql<{ holder: string }[]>(
      "SELECT holder FROM leases WHERE name = 'digests' AND expires_at > ?",
      [utc(new Date())],
    );
    const pid = Number(lease?.holder.split(':')[1]);
    return apps.find((app) => app.child.pid === pid && alive(app));
  }

  /** A user with a confirmed address and an unread message from alice. */
  async function reader(username: string, options: { away: boolean }) {
    const app = anyApp();
    const { session } = await signUp(app, username);
    await sql('UPDATE users SET email_confirmed_at = ? WHERE username = ?', [
      utc(new Date()),
      username,
    ]);
    const sent = await (
      await aliceOn(app)
    ).submit(`/send_message/${username}`, `/send_message/${username}`, {
      message: `hello ${username}`,
    });
    expect(sent.status).toBe(302);
    if (options.away) {
      await sql('UPDATE users SET last_seen = ? WHERE username = ?', [
        utc(new Date(Date.now() - 3_600_000)),
        username,
      ]);
    }
    return session;
  }

  /**
   * The "nothing more" check: a later user's digest arrives, and `username` still has exactly
   * one, and one in the outbox.
   */
  async function expectExactlyOneDigest(username: string, marker: string) {
    await reader(marker, { away: true });
    await waitUntil(() => digestsTo(marker).length === 1, `the digest to ${marker}`);
    expect(digestsTo(username)).toHaveLength(1);
    await expect(outboxOf(username)).resolves.toHaveLength(1);
  }

  it('should send one digest, from one of the two processes', async () => {
    await reader('carol', { away: true });
    await waitUntil(() => digestsTo('carol').length === 1, 'the digest to carol');
    const [mail] = digestsTo('carol');
    expect(mail.subject).toBe('1 new message from alice');
    // Both processes tick; one holds the lease.
    expect(apps).toContain(await leaseHolder());
    await expectExactlyOneDigest('carol', 'dave');
  }, 60_000);

  it('should send the digest once when the holder is killed inside the user’s transaction', async () => {
    let lock: Connection | null = await stack.connection();
    try {
      // Eve was just seen and her message just came: she is due in about three seconds.
      await reader('eve', { away: false });
      const [eve] = await sql<Row[]>("SELECT id FROM users WHERE username = 'eve'");
      // Her row held by the test: the holder's digest transaction will wait on it.
      await lock.beginTransaction();
      await lock.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [eve.id]);
      await expect(outboxOf('eve')).resolves.toEqual([]);

      let waiting: AppProcess | undefined;
      await waitUntil(async () => {
        const [row] = await sql<{ waiting: number }[]>(
          "SELECT COUNT(*) AS waiting FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'",
        );
        waiting = Number(row.waiting) > 0 ? await leaseHolder() : undefined;
        return waiting !== undefined;
      }, 'the lease holder waiting for eve’s row');
      // Killed between taking the lease and committing eve's digest.
      await waiting!.stop('SIGKILL');
      await lock.rollback();
      await lock.end();
      lock = null;

      await waitUntil(() => digestsTo('eve').length === 1, 'the digest to eve', 30_000);
      const survivor = apps.find((app) => app !== waiting && alive(app));
      expect(await leaseHolder()).toBe(survivor);
      await expectExactlyOneDigest('eve', 'frank');
    } finally {
      await lock?.end();
    }
    await startApp();
  }, 90_000);

  it('should send the digest once when the holder is killed after queuing it, while SMTP refuses', async () => {
    smtp.mode = { accept: false, code: 451, message: 'Try again later' };
    await reader('gina', { away: true });
    // Queued with its cursor, tried once and refused, waiting for its retry.
    await waitUntil(async () => {
      const rows = await outboxOf('gina');
      return rows.length === 1 && rows[0].attempts >= 1 && rows[0].claimedUntil === null;
    }, 'the refused first attempt');
    const holder = await leaseHolder();
    expect(holder).toBeDefined();
    await holder!.stop('SIGKILL');
    smtp.mode = { accept: true };

    await waitUntil(() => digestsTo('gina').length === 1, 'the digest to gina', 30_000);
    // The survivor took the lease over and found nothing more to send to gina.
    await waitUntil(
      async () => {
        const current = await leaseHolder();
        return current !== undefined && current !== holder;
      },
      'the lease taken over',
      10 * LEASE_MS,
    );
    await expectExactlyOneDigest('gina', 'hank');
    await expect(outboxOf('gina')).resolves.toMatchObject([{ status: 'sent' }]);
  }, 90_000);
});
