import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { LeasesService } from '../src/database/leases.service';
import { TransactionService } from '../src/database/transaction.service';
import { MailSender } from '../src/mail/mail-sender.service';
import { MailService, OutgoingEmail } from '../src/mail/mail.service';
import { OutboundEmail } from '../src/mail/outbound-email.entity';
import { rawHeader, TestSmtpServer } from './utils/smtp';
import { createTestApp, TestApp } from './utils/test-app';

const FAST = {
  MAIL_POLL_MS: '100',
  MAIL_RETRY_BASE_MS: '100',
  MAIL_FROM: 'Microblog <mb@example.test>',
};

function email(n: number, extra: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    kind: 'digest',
    to: `user${n}@example.test`,
    userId: null,
    subject: `Subject ${n} — привет`,
    text: `Text part ${n}`,
    html: `<p>HTML part ${n}</p>`,
    ...extra,
  };
}

/** Queues emails in one transaction, as a feature does, and wakes the sender after commit. */
async function queue(t: TestApp, ...emails: OutgoingEmail[]): Promise<void> {
  const mail = t.app.get(MailService);
  await t.app.get(TransactionService).run(async (tx) => {
    for (const e of emails) {
      await mail.queue(tx.manager, e);
    }
    tx.afterCommit(() => mail.wake());
  });
}

function outbox(t: TestApp): Promise<OutboundEmail[]> {
  return t.dataSource.getRepository(OutboundEmail).find({ order: { id: 'ASC' } });
}

/** Polls the outbox until `done` holds (the sender works in the background). */
async function outboxUntil(t: TestApp, done: (rows: OutboundEmail[]) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await outbox(t);
    if (done(rows)) {
      return rows;
    }
    if (Date.now() > deadline) {
      throw new Error(`outbox never got there: ${JSON.stringify(rows.map((r) => r.status))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Email outbox over real SMTP (e2e)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp(
      { ...FAST, SMTP_URL: smtp.url, MAIL_MAX_ATTEMPTS: '3' },
      { listen: true },
    );
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  beforeEach(async () => {
    await t.app.get(MailSender).idle();
    await t.dataSource.getRepository(OutboundEmail).clear();
    smtp.received.length = 0;
    smtp.overTls.length = 0;
    smtp.mode = { accept: true };
  });

  it('should deliver a queued email with its headers and both parts, over STARTTLS', async () => {
    await queue(t, email(1, { headers: { 'List-Unsubscribe': '<https://example.test/u/x>' } }));

    const [mail] = await smtp.waitForCount(1);
    const [row] = await outboxUntil(t, (rows) => rows[0]?.status === 'sent');
    expect(mail.from?.value).toEqual([{ name: 'Microblog', address: 'mb@example.test' }]);
    expect(mail.to).toMatchObject({ text: 'user1@example.test' });
    expect(mail.subject).toBe('Subject 1 — привет');
    expect(mail.text?.trim()).toBe('Text part 1');
    expect(mail.html).toBe('<p>HTML part 1</p>');
    expect(mail.messageId).toBe(row.messageId);
    expect(rawHeader(mail, 'List-Unsubscribe')).toBe('<https://example.test/u/x>');
    expect(smtp.overTls).toEqual([true]);
    expect(row).toMatchObject({ attempts: 1, claimedUntil: null, lastError: null });
    expect(row.sentAt).toBeInstanceOf(Date);
  });

  it('should queue nothing when the transaction that queued it rolls back', async () => {
    const mail = t.app.get(MailService);
    await expect(
      t.app.get(TransactionService).run(async (tx) => {
        await mail.queue(tx.manager, email(2));
        throw new Error('the feature failed after queueing');
      }),
    ).rejects.toThrow('the feature failed');
    // The marker: an email queued after it arrives, and it arrives alone.
    await queue(t, email(3));
    await smtp.waitForCount(1);
    await t.app.get(MailSender).idle();
    expect(smtp.received.map((m) => m.subject)).toEqual(['Subject 3 — привет']);
    expect((await outbox(t)).map((r) => r.toAddress)).toEqual(['user3@example.test']);
  });

  it('should retry a refused delivery with backoff and deliver it once the server accepts', async () => {
    smtp.mode = { accept: false, code: 451, message: 'Try again later' };
    const attemptsBefore = smtp.attempts;
    await queue(t, email(4));

    const [refused] = await outboxUntil(t, (rows) => rows[0]?.attempts >= 1);
    expect(refused.status).toBe('pending');
    expect(refused.lastError).toContain('Try again later');
    expect(refused.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() - 1000);

    smtp.mode = { accept: true };
    const [mail] = await smtp.waitForCount(1);
    const [sent] = await outboxUntil(t, (rows) => rows[0]?.status === 'sent');
    expect(mail.subject).toBe('Subject 4 — привет');
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(smtp.attempts - attemptsBefore).toBe(sent.attempts);
    expect(mail.messageId).toBe(sent.messageId);
  });

  it('should give up after MAIL_MAX_ATTEMPTS, keeping the email marked failed', async () => {
    smtp.mode = { accept: false, code: 550, message: 'Mailbox unavailable' };
    await queue(t, email(5));

    const [failed] = await outboxUntil(t, (rows) => rows[0]?.status === 'failed');
    expect(failed).toMatchObject({ attempts: 3, claimedUntil: null, sentAt: null });
    expect(failed.lastError).toContain('Mailbox unavailable');
    expect(smtp.received).toHaveLength(0);
  });

  it('should keep answering requests while the SMTP server is gone, and deliver once it is back', async () => {
    await smtp.stop();
    try {
      await queue(t, email(6), email(7));
      const [first] = await outboxUntil(t, (rows) => rows[0]?.attempts >= 1);
      expect(first.status).toBe('pending');
      expect(first.lastError).toMatch(/ECONNREFUSED|connect/i);

      const started = Date.now();
      await request(t.app.getHttpServer()).get('/auth/login').expect(200);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await smtp.listen();
    }
    const mails = await smtp.waitForCount(2);
    await outboxUntil(t, (rows) => rows.every((r) => r.status === 'sent'));
    expect(mails.map((m) => m.subject).sort()).toEqual([
      'Subject 6 — привет',
      'Subject 7 — привет',
    ]);
  });
});

describe('Email outbox, the embedded default: .eml files (e2e)', () => {
  let dir: string;
  let t: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mail-'));
    t = await createTestApp({ ...FAST, SMTP_URL: '', MAIL_DIR: dir });
  });

  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should write each email as an .eml file a mail client can open', async () => {
    await queue(t, email(8, { html: '<p>Hola <b>mundo</b></p>' }));
    const [row] = await outboxUntil(t, (rows) => rows[0]?.status === 'sent');

    const files = readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(new RegExp(`-${row.id}-digest\\.eml$`))]);
    const parsed = await simpleParser(readFileSync(join(dir, files[0])));
    expect(parsed.subject).toBe('Subject 8 — привет');
    expect(parsed.to).toMatchObject({ text: 'user8@example.test' });
    expect(parsed.text?.trim()).toBe('Text part 8');
    expect(parsed.html).toBe('<p>Hola <b>mundo</b></p>');
    expect(parsed.messageId).toBe(row.messageId);
  });
});

describe('Email outbox shared by two app processes on one database (e2e)', () => {
  let smtp: TestSmtpServer;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    first = await createTestApp({ ...FAST, SMTP_URL: smtp.url });
    const url = process.env.DATABASE_URL!;
    // On SQLite an in-memory database is one process's own: the second app gets its own, and
    // the test checks the lease and claim rules on the first one alone.
    second = await createTestApp(
      { ...FAST, SMTP_URL: smtp.url },
      { databaseUrl: (own) => (first.dialect === 'mysql' ? url : own) },
    );
  });

  afterAll(async () => {
    await second.close();
    await first.close();
    await smtp.stop();
  });

  it('should deliver each email once when both processes send from the outbox', async () => {
    const emails = Array.from({ length: 40 }, (_, i) => email(100 + i));
    await queue(first, ...emails.slice(0, 20));
    await queue(first.dialect === 'mysql' ? second : first, ...emails.slice(20));

    await smtp.waitForCount(40);
    await outboxUntil(
      first,
      (rows) => rows.length === 40 && rows.every((r) => r.status === 'sent'),
    );
    await Promise.all([first.app.get(MailSender).idle(), second.app.get(MailSender).idle()]);
    const ids = smtp.received.map((m) => m.messageId);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('should give a lease to one holder at a time, and to another once it expires or is released', async () => {
    const one = first.app.get(LeasesService);
    const other = first.dialect === 'mysql' ? second.app.get(LeasesService) : null;
    if (other) {
      await expect(one.acquire('test-lease', 60_000)).resolves.toBe(true);
      await expect(other.acquire('test-lease', 60_000)).resolves.toBe(false);
      await expect(one.acquire('test-lease', 60_000)).resolves.toBe(true);
      await one.release('test-lease');
      await expect(other.acquire('test-lease', 1)).resolves.toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(one.acquire('test-lease', 60_000)).resolves.toBe(true);
      await expect(other.acquire('test-lease', 60_000)).resolves.toBe(false);
    } else {
      // Another process's lease, as its row: unexpired, then expired.
      const leases = first.dataSource.getRepository('Lease');
      await leases.insert({
        name: 'test-lease',
        holder: 'elsewhere',
        expiresAt: new Date(Date.now() + 60_000),
      });
      await expect(one.acquire('test-lease', 60_000)).resolves.toBe(false);
      await leases.update({ name: 'test-lease' }, { expiresAt: new Date(Date.now() - 1) });
      await expect(one.acquire('test-lease', 60_000)).resolves.toBe(true);
      await expect(leases.findOneByOrFail({ name: 'test-lease' })).resolves.toMatchObject({
        holder: one.holder,
      });
      await one.release('test-lease');
      await expect(leases.countBy({ name: 'test-lease' })).resolves.toBe(0);
      await expect(one.acquire('test-lease', 60_000)).resolves.toBe(true);
    }
  });
});
