import type { ParsedMail } from 'mailparser';
import { EmailToken } from '../src/auth/email-token.entity';
import { OutboundEmail } from '../src/mail/outbound-email.entity';
import { User } from '../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { accountLink, CONFIRM_LINK, mailSettled, pathOf, RESET_LINK } from './utils/email-links';
import { TestSmtpServer } from './utils/smtp';
import { createTestApp, TestApp } from './utils/test-app';

const PUBLIC_URL = 'https://microblog.example';
const MAIL_FROM = 'Microblog <no-reply@microblog.example>';
const GONE = 'This link has expired or was already used';

const mailEnv = (smtp: TestSmtpServer) => ({
  SMTP_URL: smtp.url,
  MAIL_POLL_MS: '200',
  MAIL_RETRY_BASE_MS: '200',
  MAIL_FROM,
  PUBLIC_URL,
});

describe('Email address confirmation and change (e2e)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp(mailEnv(smtp));
  });

  afterEach(async () => {
    await mailSettled(t.app);
    await t.dataSource.createQueryBuilder().delete().from(OutboundEmail).execute();
    await clearDatabase(t.dataSource);
    smtp.received.splice(0);
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const users = () => t.dataSource.getRepository(User);
  const userNamed = (username: string) => users().findOneByOrFail({ username });

  /** Registers through the form, logged in afterwards, and returns the confirmation email. */
  async function register(username: string, email = `${username}@example.com`) {
    const browser = new BrowserSession(t.app);
    const res = await browser.submit('/auth/register', '/auth/register', {
      username,
      email,
      password: DEFAULT_PASSWORD,
      password2: DEFAULT_PASSWORD,
    });
    expect(res.status).toBe(302);
    await browser.login(username, DEFAULT_PASSWORD);
    const mail = await lastEmailTo(email);
    return { browser, mail, link: accountLink(mail, CONFIRM_LINK) };
  }

  async function lastEmailTo(address: string): Promise<ParsedMail> {
    await mailSettled(t.app);
    const mail = smtp.to(address).at(-1);
    if (!mail) {
      throw new Error(`no email to ${address}`);
    }
    return mail;
  }

  /** Opens a link in a browser that is not logged in. */
  const open = (url: string, browser = new BrowserSession(t.app)) => browser.get(pathOf(url));

  const changeEmail = (browser: BrowserSession, email: string, current_password: string) =>
    browser.submit('/edit_profile/email', '/edit_profile/email', { email, current_password });

  it('should send a confirmation link at registration, and confirm the address without a login', async () => {
    const { browser, mail, link } = await register('susan');
    expect(mail.from?.value).toEqual([
      { name: 'Microblog', address: 'no-reply@microblog.example' },
    ]);
    expect([mail.to].flat().map((to) => to?.text)).toEqual(['susan@example.com']);
    expect(mail.subject).toBe('Confirm your email address for Microblog');
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@microblog\.example>$/);
    expect(mail.headers.has('list-unsubscribe')).toBe(false);
    expect(link.url).toBe(`${PUBLIC_URL}/auth/confirm_email/${link.token}`);
    for (const part of [mail.text ?? '', mail.html || '']) {
      expect(part).toContain(link.url);
      expect(part).toContain('susan@example.com');
      expect(part).toContain('The link works for 7 days.');
      expect(part).toMatch(/If you didn(&#x27;|')t ask for this, ignore this email/);
    }
    const susan = await userNamed('susan');
    expect(susan.emailConfirmedAt).toBeNull();
    const stored = await t.dataSource
      .getRepository(EmailToken)
      .findOneByOrFail({ userId: susan.id });
    expect([stored.purpose, stored.email]).toEqual(['email_confirmation', 'susan@example.com']);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(7 * 86_400_000);
    const queued = await t.dataSource.getRepository(OutboundEmail).findOneByOrFail({});
    expect([queued.kind, queued.userId]).toEqual(['email_confirmation', susan.id]);

    const before = await browser.get('/edit_profile');
    expect(before.text).toContain('data-confirmed="false"');
    expect(before.text).toContain('action="/edit_profile/email/confirmation"');

    const anonymous = new BrowserSession(t.app);
    const confirmed = await open(link.url, anonymous);
    expect([confirmed.status, confirmed.headers.location]).toEqual([302, '/auth/login']);
    expect((await anonymous.get('/auth/login')).text).toContain(
      'The email address susan@example.com is confirmed.',
    );
    const at = (await userNamed('susan')).emailConfirmedAt;
    expect(at).not.toBeNull();

    // Opened again (a second click, a mail scanner): still confirmed, at the first moment.
    const again = await open(link.url, browser);
    expect([again.status, again.headers.location]).toEqual([302, '/edit_profile#email-address']);
    expect((await userNamed('susan')).emailConfirmedAt).toEqual(at);
    const after = await browser.get('/edit_profile');
    expect(after.text).toContain('data-confirmed="true"');
    expect(after.text).toContain('The email address susan@example.com is confirmed.');
    expect(after.text).not.toContain('action="/edit_profile/email/confirmation"');
  });

  it('should send nothing when a registration names an address another account has', async () => {
    await createUser(t.app, 'mary', { email: 'taken@example.com' });
    const res = await new BrowserSession(t.app).submit('/auth/register', '/auth/register', {
      username: 'newcomer',
      email: 'TAKEN@example.com',
      password: DEFAULT_PASSWORD,
      password2: DEFAULT_PASSWORD,
    });
    expect([res.status, res.headers.location]).toEqual([302, '/auth/login']);
    // The marker: a registration after it, whose email arrives.
    await register('later');
    expect(smtp.received.map((mail) => [mail.to].flat()[0]?.text)).toEqual(['later@example.com']);
  });

  it('should change the address only with the current password, store it unconfirmed and send the link there; links to the old address are refused', async () => {
    await createUser(t.app, 'mary', { email: 'mary@example.com' });
    const { browser, link: first } = await register('susan');
    const sent = () => smtp.received.length;
    const count = sent();

    const refusals: [string, string, string][] = [
      [
        'susan@new.example',
        'not my password',
        'current_password">That is not your current password.',
      ],
      ['susan@new.example', '', 'current_password">This field is required.'],
      ['not an address', DEFAULT_PASSWORD, 'email">Enter a valid email address.'],
      ['Mary@Example.com', DEFAULT_PASSWORD, 'email">Please use a different email address.'],
      ['SUSAN@example.com', DEFAULT_PASSWORD, 'email">This is already your address.'],
    ];
    for (const [email, password, message] of refusals) {
      const res = await changeEmail(browser, email, password);
      expect([email, password, res.status]).toEqual([email, password, 400]);
      expect(res.text).toContain(`data-error-for="${message}`);
      expect(res.text).toContain('id="error-summary"');
      expect(res.text).not.toContain(DEFAULT_PASSWORD);
    }
    await mailSettled(t.app);
    expect(sent()).toBe(count);
    expect((await userNamed('susan')).email).toBe('susan@example.com');

    const changed = await changeEmail(browser, 'Susan@New.Example', DEFAULT_PASSWORD);
    expect([changed.status, changed.headers.location]).toEqual([
      302,
      '/edit_profile#email-address',
    ]);
    const page = await browser.get('/edit_profile');
    expect(page.text).toContain('Your email address is now susan@new.example.');
    expect(page.text).toContain('<strong id="current-email">susan@new.example</strong>');
    expect(page.text).toContain('data-confirmed="false"');
    const susan = await userNamed('susan');
    expect([susan.email, susan.emailConfirmedAt]).toEqual(['susan@new.example', null]);
    const second = accountLink(await lastEmailTo('susan@new.example'), CONFIRM_LINK);
    expect(smtp.to('susan@example.com')).toHaveLength(1);

    // The link sent to the old address confirms nothing now.
    const old = await open(first.url);
    expect(old.status).toBe(410);
    expect(old.text).toContain(GONE);
    expect(old.text).toContain('href="/edit_profile#email-address"');
    expect((await userNamed('susan')).emailConfirmedAt).toBeNull();

    expect((await open(second.url)).status).toBe(302);
    expect((await userNamed('susan')).emailConfirmedAt).not.toBeNull();

    // A confirmed address changed again is unconfirmed again, and its link is done with.
    expect((await changeEmail(browser, 'susan@third.example', DEFAULT_PASSWORD)).status).toBe(302);
    expect((await userNamed('susan')).emailConfirmedAt).toBeNull();
    expect((await open(second.url)).status).toBe(410);
    // Back to an earlier address: the links sent to it before stay revoked.
    expect((await changeEmail(browser, 'susan@example.com', DEFAULT_PASSWORD)).status).toBe(302);
    expect((await open(first.url)).status).toBe(410);
  });

  it('should send the link again while unconfirmed, and only say so once confirmed', async () => {
    const { browser, link: first } = await register('susan');
    const resend = () => browser.submit('/edit_profile', '/edit_profile/email/confirmation', {});
    const res = await resend();
    expect([res.status, res.headers.location]).toEqual([302, '/edit_profile#email-address']);
    expect((await browser.get('/edit_profile')).text).toContain(
      'We&#x27;ve sent a new confirmation link to susan@example.com.',
    );
    const second = accountLink(await lastEmailTo('susan@example.com'), CONFIRM_LINK);
    expect(second.token).not.toBe(first.token);
    expect(smtp.to('susan@example.com')).toHaveLength(2);

    expect((await open(second.url)).status).toBe(302);
    const count = smtp.received.length;
    expect((await resend()).status).toBe(302);
    expect((await browser.get('/edit_profile')).text).toContain(
      'Your email address susan@example.com is already confirmed.',
    );
    await mailSettled(t.app);
    expect(smtp.received).toHaveLength(count);
  });

  it('should refuse expired, forged and reset links at the confirmation route', async () => {
    const { link } = await register('susan');
    const susan = await userNamed('susan');
    await t.dataSource
      .getRepository(EmailToken)
      .update({ userId: susan.id }, { expiresAt: new Date(Date.now() - 1000) });
    expect((await open(link.url)).status).toBe(410);

    const reset = await new BrowserSession(t.app).submit(
      '/auth/forgot_password',
      '/auth/forgot_password',
      { email: 'susan@example.com' },
    );
    expect(reset.status).toBe(302);
    const resetLink = accountLink(await lastEmailTo('susan@example.com'), RESET_LINK);
    for (const token of [
      resetLink.token,
      Buffer.alloc(32, 1).toString('base64url'),
      link.token.slice(1),
      `${link.token}%20`,
    ]) {
      const res = await new BrowserSession(t.app).get(`/auth/confirm_email/${token}`);
      expect([token, res.status]).toEqual([token, 410]);
    }
    expect((await userNamed('susan')).emailConfirmedAt).toBeNull();
    // The reset link still works for what it was made for.
    expect((await open(resetLink.url)).status).toBe(200);
  });
});

describe('Email change and confirmation rate limits (e2e)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      ...mailEnv(smtp),
      EMAIL_CHANGE_RATE_LIMIT: '2',
      CONFIRMATION_RESEND_RATE_LIMIT: '1',
    });
  });

  afterAll(async () => {
    await mailSettled(t.app);
    await t.close();
    await smtp.stop();
  });

  it('should limit address changes per client address and resends per user, keeping the typed address', async () => {
    await createUser(t.app, 'susan');
    const browser = new BrowserSession(t.app);
    await browser.login('susan', DEFAULT_PASSWORD);
    const change = (email: string) =>
      browser.submit('/edit_profile/email', '/edit_profile/email', {
        email,
        current_password: 'wrong password',
      });
    expect((await change('a@example.com')).status).toBe(400);
    expect((await change('b@example.com')).status).toBe(400);
    const refused = await change('c@example.com');
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('Too many requests for now. Please try again later.');
    expect(refused.text).toContain('value="c@example.com"');
    expect(refused.text).toContain('<strong id="current-email">susan@example.com</strong>');

    const resend = () => browser.submit('/edit_profile', '/edit_profile/email/confirmation', {});
    expect((await resend()).status).toBe(302);
    expect((await resend()).status).toBe(429);
    await mailSettled(t.app);
    expect(smtp.received).toHaveLength(1);
  });
});
