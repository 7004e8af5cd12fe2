import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { IsNull } from 'typeorm';
import { EmailToken } from '../src/auth/email-token.entity';
import { hashToken } from '../src/auth/email-tokens.service';
import { verifyPassword } from '../src/auth/passwords';
import { Session } from '../src/auth/session.entity';
import { OutboundEmail } from '../src/mail/outbound-email.entity';
import { User } from '../src/users/user.entity';
import { setCookiesOf } from './attack/attack-helpers';
import { createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession, csrfTokenOf } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { accountLink, CONFIRM_LINK, mailSettled, pathOf, RESET_LINK } from './utils/email-links';
import { TestSmtpServer } from './utils/smtp';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

const PUBLIC_URL = 'http://microblog.example';
const MAIL_FROM = 'Microblog <no-reply@microblog.example>';
const NEW_PASSWORD = 'a brand new passphrase';
const GONE = 'This link has expired or was already used';

/** The app delivering to a real SMTP server of the test's own. */
const mailEnv = (smtp: TestSmtpServer) => ({
  SMTP_URL: smtp.url,
  MAIL_POLL_MS: '200',
  MAIL_RETRY_BASE_MS: '200',
  MAIL_FROM,
  PUBLIC_URL,
});

describe('Password reset by email (e2e)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const open: SseClient[] = [];

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp(mailEnv(smtp), { listen: true });
  });

  afterEach(async () => {
    open.splice(0).forEach((client) => client.close());
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
  const tokens = () => t.dataSource.getRepository(EmailToken);
  const outbox = () => t.dataSource.getRepository(OutboundEmail);

  const forgot = (email: string, browser = new BrowserSession(t.app)) =>
    browser.submit('/auth/forgot_password', '/auth/forgot_password', { email });

  /** Asks for a reset link for `email` and returns the email that brought it. */
  async function resetEmail(email: string): Promise<ParsedMail> {
    await mailSettled(t.app);
    const before = smtp.to(email).length;
    expect((await forgot(email)).status).toBe(302);
    await mailSettled(t.app);
    const mails = smtp.to(email);
    expect(mails).toHaveLength(before + 1);
    return mails[before];
  }

  const resetLink = async (email: string) => accountLink(await resetEmail(email), RESET_LINK);

  /** Follows a link's path through the app: the form, then the new password twice. */
  async function setPassword(
    url: string,
    password = NEW_PASSWORD,
    browser = new BrowserSession(t.app),
  ) {
    return browser.submit(pathOf(url), pathOf(url), { password, password2: password });
  }

  const passwordHashOf = async (user: User) =>
    (await users().findOneByOrFail({ id: user.id })).passwordHash;

  const canLogIn = async (username: string, password: string) =>
    (await new BrowserSession(t.app).submit('/auth/login', '/auth/login', { username, password }))
      .status === 302;

  it('should answer a known and an unknown address alike, and email only the known one', async () => {
    const susan = await createUser(t.app, 'susan');
    const known = await forgot('susan@example.com');
    const unknown = await forgot('nobody@example.com');
    const answer = (res: request.Response) => ({
      status: res.status,
      location: res.headers.location as unknown,
      body: res.text,
      cookies: Object.keys(setCookiesOf(res)).sort(),
      flash: setCookiesOf(res).mb_flash,
    });
    expect(answer(known)).toEqual(answer(unknown));
    expect(answer(known)).toMatchObject({ status: 302, location: '/auth/login' });

    const login = await new BrowserSession(t.app).get('/auth/login');
    expect(login.text).toContain('id="forgot-password-link"');
    expect(login.text).toContain('href="/auth/forgot_password"');

    await mailSettled(t.app);
    expect(smtp.received.map((mail) => mail.to && [mail.to].flat()[0].text)).toEqual([
      'susan@example.com',
    ]);
    expect(await outbox().find()).toEqual([
      expect.objectContaining({ userId: susan.id, kind: 'password_reset' }),
    ]);
    expect(await tokens().countBy({ userId: susan.id, purpose: 'password_reset' })).toBe(1);
  });

  it('should show what the flash says on the login page, the same for both', async () => {
    await createUser(t.app, 'susan');
    const browser = new BrowserSession(t.app);
    await forgot('SUSAN@example.com', browser);
    const page = await browser.get('/auth/login');
    expect(page.text).toContain('If an account exists for that address, we&#x27;ve sent a link');
  });

  it('should send a reset email with its headers, both parts, the link and when it expires, to an unconfirmed address too', async () => {
    const susan = await createUser(t.app, 'susan');
    expect(susan.emailConfirmedAt).toBeNull();
    const mail = await resetEmail('Susan@Example.com');
    const { url, token } = accountLink(mail, RESET_LINK);

    expect(mail.from?.value).toEqual([
      { name: 'Microblog', address: 'no-reply@microblog.example' },
    ]);
    expect(mail.headerLines.find((h) => h.key === 'from')?.line).toBe(`From: ${MAIL_FROM}`);
    expect([mail.to].flat().map((to) => to?.text)).toEqual(['susan@example.com']);
    expect(mail.subject).toBe('Reset your Microblog password');
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@microblog\.example>$/);
    expect(mail.headers.has('list-unsubscribe')).toBe(false);
    expect(url).toBe(`${PUBLIC_URL}/auth/reset_password/${token}`);
    for (const part of [mail.text ?? '', mail.html || '']) {
      expect(part).toContain(url);
      expect(part).toContain('Hi susan,');
      expect(part).toContain('The link works once, for 30 minutes.');
      expect(part).toMatch(/If you didn(’|'|&#x27;)t ask for this, ignore this email/);
    }
    // Only the token's hash is stored.
    const stored = await tokens().findOneByOrFail({ userId: susan.id });
    expect(stored.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(30 * 60_000);
    expect(stored.email).toBe('susan@example.com');
  });

  it('should set the password once: the old one fails, the new one works, every session and stream ends, the link is refused after', async () => {
    const susan = await createUser(t.app, 'susan');
    const laptop = new BrowserSession(t.app);
    const cookie = BrowserSession.authCookieOf(await laptop.login('susan', DEFAULT_PASSWORD));
    const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', { Cookie: cookie });
    open.push(stream);
    await stream.waitFor((s) => s.frames.length >= 1);
    const { url } = await resetLink('susan@example.com');

    const browser = new BrowserSession(t.app);
    const form = await browser.get(pathOf(url));
    expect(form.status).toBe(200);
    expect(form.text).toContain(`action="${pathOf(url)}"`);
    expect(form.text).toContain('autocomplete="new-password"');
    // Showing the form uses nothing up (mail scanners open links first).
    expect((await tokens().findOneByOrFail({ userId: susan.id })).usedAt).toBeNull();

    const done = await setPassword(url, NEW_PASSWORD, browser);
    expect([done.status, done.headers.location]).toEqual([302, '/auth/login']);
    const login = await browser.get('/auth/login');
    expect(login.text).toContain('Your password has been changed. Log in with the new one.');

    await stream.waitFor((s) => s.ended, 3000);
    expect(stream.frames.at(-1)).toMatchObject({ event: 'session_ended' });
    const oldSession = await request(t.app.getHttpServer())
      .get('/edit_profile')
      .set('Accept', 'text/html')
      .set('Cookie', cookie);
    expect([oldSession.status, oldSession.headers.location]).toEqual([
      302,
      '/auth/login?next=%2Fedit_profile',
    ]);
    expect(await t.dataSource.getRepository(Session).countBy({ userId: susan.id })).toBe(0);

    expect(await canLogIn('susan', DEFAULT_PASSWORD)).toBe(false);
    expect(await canLogIn('susan', NEW_PASSWORD)).toBe(true);
    const stored = await users().findOneByOrFail({ id: susan.id });
    expect(stored.passwordChangedAt).not.toBeNull();
    expect((await tokens().findOneByOrFail({ userId: susan.id })).usedAt).not.toBeNull();

    // The second use: refused, on the form and on the submit, and nothing changes.
    const hash = stored.passwordHash;
    const again = await new BrowserSession(t.app).get(pathOf(url));
    expect(again.status).toBe(410);
    expect(again.text).toContain(GONE);
    expect(again.text).toContain('href="/auth/forgot_password"');
    const resubmit = await postReset(url, 'yet another password');
    expect(resubmit.status).toBe(410);
    expect(await passwordHashOf(susan)).toBe(hash);
  });

  it('should keep the form and the link when the new password breaks the registration rules', async () => {
    const susan = await createUser(t.app, 'susan');
    const { url } = await resetLink('susan@example.com');
    const browser = new BrowserSession(t.app);
    const short = await browser.submit(pathOf(url), pathOf(url), {
      password: 'short',
      password2: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.text).toMatch(/data-error-for="password">At least 8 characters\./);
    expect(short.text).toContain('id="error-summary"');
    const mismatch = await browser.submit(pathOf(url), pathOf(url), {
      password: NEW_PASSWORD,
      password2: 'something else entirely',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.text).toMatch(/data-error-for="password2">The passwords do not match\./);
    expect(mismatch.text).not.toContain(NEW_PASSWORD);
    expect((await tokens().findOneByOrFail({ userId: susan.id })).usedAt).toBeNull();
    expect((await setPassword(url)).status).toBe(302);
  });

  it('should let exactly one of two concurrent submits of a link set the password', async () => {
    const susan = await createUser(t.app, 'susan');
    const { url } = await resetLink('susan@example.com');
    const first = new BrowserSession(t.app);
    const second = new BrowserSession(t.app);
    const tokens = [await csrfOf(first, url), await csrfOf(second, url)];
    const submit = (browser: BrowserSession, csrf: string, password: string) =>
      browser.agent
        .post(pathOf(url))
        .set('Accept', 'text/html')
        .type('form')
        .send({ csrf_token: csrf, password, password2: password });
    const results = await Promise.all([
      submit(first, tokens[0], 'first racing password'),
      submit(second, tokens[1], 'second racing password'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([302, 410]);
    const hash = await passwordHashOf(susan);
    const matches = await Promise.all(
      ['first racing password', 'second racing password'].map((p) => verifyPassword(hash, p)),
    );
    expect(matches.filter(Boolean)).toHaveLength(1);
    expect(matches[results[0].status === 302 ? 0 : 1]).toBe(true);
  });

  it('should refuse an expired link, on the form and the submit', async () => {
    const susan = await createUser(t.app, 'susan');
    const { url } = await resetLink('susan@example.com');
    const hash = await passwordHashOf(susan);
    // 31 minutes ago: the link's half hour is over.
    const made = new Date(Date.now() - 31 * 60_000);
    await tokens().update(
      { userId: susan.id },
      { createdAt: made, expiresAt: new Date(made.getTime() + 30 * 60_000) },
    );
    const form = await new BrowserSession(t.app).get(pathOf(url));
    expect([form.status, form.text.includes(GONE)]).toEqual([410, true]);
    expect((await postReset(url, NEW_PASSWORD)).status).toBe(410);
    expect(await passwordHashOf(susan)).toBe(hash);

    // A minute before the end it still works.
    await tokens().update(
      { userId: susan.id },
      { createdAt: new Date(Date.now() - 29 * 60_000), expiresAt: new Date(Date.now() + 60_000) },
    );
    expect((await setPassword(url)).status).toBe(302);
  });

  it('should refuse forged links: random, truncated, lengthened, junk, and a confirmation link', async () => {
    const susan = await createUser(t.app, 'susan');
    const { token } = await resetLink('susan@example.com');
    const hash = await passwordHashOf(susan);
    const confirmation = await registerAndConfirmationToken('mary');
    // [link as it goes in the path, the answer]: a path that is not even a URL is a 400.
    const forged: [string, number][] = [
      [Buffer.alloc(32, 7).toString('base64url'), 410],
      [token.slice(0, -1), 410],
      [`${token}A`, 410],
      [
        token.replace(/[A-Za-z]/, (c) =>
          c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase(),
        ),
        410,
      ],
      ['..%2F..%2Fadmin', 410],
      ['x'.repeat(5000), 410],
      [confirmation, 410],
      ['%E0%A4%A', 400],
    ];
    const answers: [string, number, number][] = [];
    for (const [link] of forged) {
      const path = `/auth/reset_password/${link}`;
      const form = await new BrowserSession(t.app).get(path);
      const post = await postReset(`${PUBLIC_URL}${path}`, NEW_PASSWORD);
      answers.push([link.slice(0, 50), form.status, post.status]);
    }
    expect(answers).toEqual(forged.map(([link, status]) => [link.slice(0, 50), status, status]));
    expect(await passwordHashOf(susan)).toBe(hash);
    // The confirmation token is still good for what it was made for.
    const confirmed = await new BrowserSession(t.app).get(`/auth/confirm_email/${confirmation}`);
    expect(confirmed.status).toBe(302);
  });

  it('should refuse a link made before the password changed, and revoke the other links when one is used', async () => {
    const susan = await createUser(t.app, 'susan');
    const first = await resetLink('susan@example.com');
    const second = await resetLink('susan@example.com');
    const third = await resetLink('susan@example.com');
    // The password changed after the first link was made (by some other way than a link).
    const made = await tokens().findOneByOrFail({ tokenHash: hashToken(first.token) });
    await users().update(
      { id: susan.id },
      { passwordChangedAt: new Date(made.createdAt.getTime() + 1) },
    );
    await tokens().update({ tokenHash: hashToken(second.token) }, { createdAt: made.createdAt });
    expect((await new BrowserSession(t.app).get(pathOf(first.url))).status).toBe(410);
    expect((await new BrowserSession(t.app).get(pathOf(second.url))).status).toBe(410);
    expect((await postReset(first.url, NEW_PASSWORD)).status).toBe(410);

    // The third was made after that change: it works, and the others are used up with it.
    expect((await setPassword(third.url)).status).toBe(302);
    expect(await tokens().countBy({ userId: susan.id, usedAt: IsNull() })).toBe(0);
    await users().update({ id: susan.id }, { passwordChangedAt: null });
    expect((await new BrowserSession(t.app).get(pathOf(second.url))).status).toBe(410);
  });

  it('should send a disabled account nothing, and refuse the links it had', async () => {
    const susan = await createUser(t.app, 'susan');
    const { url } = await resetLink('susan@example.com');
    await users().update({ id: susan.id }, { disabled: true });
    const hash = await passwordHashOf(susan);

    expect((await forgot('susan@example.com')).status).toBe(302);
    // A later request for someone else is the marker: when it has arrived, susan's would have.
    await createUser(t.app, 'mary');
    await resetEmail('mary@example.com');
    expect(smtp.to('susan@example.com')).toHaveLength(1);
    expect(await tokens().countBy({ userId: susan.id })).toBe(1);

    expect((await new BrowserSession(t.app).get(pathOf(url))).status).toBe(410);
    expect((await postReset(url, NEW_PASSWORD)).status).toBe(410);
    expect(await passwordHashOf(susan)).toBe(hash);
  });

  it('should refuse a link sent to an address the account no longer has', async () => {
    const susan = await createUser(t.app, 'susan');
    const { url } = await resetLink('susan@example.com');
    await users().update({ id: susan.id }, { email: 'susan@elsewhere.example' });
    expect((await new BrowserSession(t.app).get(pathOf(url))).status).toBe(410);
  });

  it("should write the email in the user's language: the registration's, then the pages' they read", async () => {
    const browser = new BrowserSession(t.app);
    await browser.get('/auth/register?lang=es');
    const registered = await browser.submit('/auth/register', '/auth/register', {
      username: 'lucia',
      email: 'lucia@example.com',
      password: DEFAULT_PASSWORD,
      password2: DEFAULT_PASSWORD,
    });
    expect(registered.status).toBe(302);
    const lucia = await users().findOneByOrFail({ username: 'lucia' });
    expect(lucia.language).toBe('es');

    // Asked for from an English browser: the email is in the account's language.
    const spanish = await resetEmail('lucia@example.com');
    expect(spanish.subject).toBe('Restablece tu contraseña de Microblog');
    expect(spanish.text).toContain('Hola, lucia:');
    expect(spanish.text).toContain('El enlace funciona una sola vez, durante 30 minutos.');
    expect(spanish.html).toContain('lang="es"');
    const { url } = accountLink(spanish, RESET_LINK);
    expect((await new BrowserSession(t.app).get(`${pathOf(url)}?lang=es`)).text).toContain(
      'Elige una contraseña nueva',
    );

    // She reads the site in Russian now: her next email is Russian.
    await browser.login('lucia', DEFAULT_PASSWORD);
    await browser.get('/explore?lang=ru');
    expect((await users().findOneByOrFail({ id: lucia.id })).language).toBe('ru');
    const russian = await resetEmail('lucia@example.com');
    expect(russian.subject).toBe('Сброс пароля в Microblog');
    expect(russian.text).toContain('Ссылка действует один раз в течение 30 минут.');
  });

  /** Registers through the form and returns the token of the confirmation link it sent. */
  async function registerAndConfirmationToken(username: string): Promise<string> {
    const email = `${username}@example.com`;
    const res = await new BrowserSession(t.app).submit('/auth/register', '/auth/register', {
      username,
      email,
      password: DEFAULT_PASSWORD,
      password2: DEFAULT_PASSWORD,
    });
    expect(res.status).toBe(302);
    await mailSettled(t.app);
    return accountLink(smtp.to(email).at(-1)!, CONFIRM_LINK).token;
  }

  /** A CSRF token from the page a link opens (the form, or any page when it is gone). */
  async function csrfOf(browser: BrowserSession, url: string): Promise<string> {
    const page = await browser.get(pathOf(url));
    const match = /name="csrf_token" value="([^"]+)"/.exec(page.text);
    return match ? match[1] : csrfFromLogin(browser);
  }

  async function csrfFromLogin(browser: BrowserSession): Promise<string> {
    const page = await browser.get('/auth/login');
    return /name="csrf_token" value="([^"]+)"/.exec(page.text)![1];
  }

  /** Posts a new password to a link, with a genuine CSRF token from another page. */
  async function postReset(url: string, password: string) {
    const browser = new BrowserSession(t.app);
    const csrf = await csrfFromLogin(browser);
    return browser.agent
      .post(pathOf(url))
      .set('Accept', 'text/html')
      .type('form')
      .send({ csrf_token: csrf, password, password2: password });
  }
});

/**
 * Limits per client address and per submitted address, with the client addresses a trusted
 * proxy forwards (TRUST_PROXY), lowered through env: one mailbox can't be flooded from many
 * addresses, one address can't ask for many mailboxes, and neither tells whether an account
 * exists.
 */
describe('Password reset rate limits (e2e)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const savedTrustProxy = process.env.TRUST_PROXY;

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    t = await createTestApp({
      ...mailEnv(smtp),
      TRUST_PROXY: 'loopback',
      PASSWORD_RESET_RATE_LIMIT: '3',
      PASSWORD_RESET_ACCOUNT_RATE_LIMIT: '2',
    });
    await createUser(t.app, 'susan');
  });

  afterAll(async () => {
    await t.close();
    await smtp.stop();
    if (savedTrustProxy === undefined) {
      delete process.env.TRUST_PROXY;
    } else {
      process.env.TRUST_PROXY = savedTrustProxy;
    }
  });

  /** A reset request from a browser the proxy sees at `client`. */
  async function forgotFrom(client: string, email: string) {
    const browser = new BrowserSession(t.app);
    const form = await browser.get('/auth/forgot_password').set('X-Forwarded-For', client);
    return browser.agent
      .post('/auth/forgot_password')
      .set('Accept', 'text/html')
      .set('X-Forwarded-For', client)
      .type('form')
      .send({ csrf_token: csrfTokenOf(form.text), email });
  }

  it('should limit each submitted address, whatever client asks, known or not, and keep the form', async () => {
    const statuses = async (email: string) => [
      (await forgotFrom('203.0.113.1', email)).status,
      (await forgotFrom('203.0.113.2', email)).status,
      (await forgotFrom('203.0.113.3', email)).status,
    ];
    expect(await statuses('susan@example.com')).toEqual([302, 302, 429]);
    // Another case of the same address is the same bucket.
    const refused = await forgotFrom('203.0.113.4', ' SUSAN@example.com ');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many requests for now. Please try again later.');
    expect(refused.text).toContain('id="error-summary"');
    expect(refused.text).toContain('value=" SUSAN@example.com "');
    // An address without an account is answered exactly alike.
    expect(await statuses('nobody@example.com')).toEqual([302, 302, 429]);

    await mailSettled(t.app);
    expect(smtp.to('susan@example.com')).toHaveLength(2);
    expect(smtp.received).toHaveLength(2);
  });

  it('should limit each client address, whatever address it asks for', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await forgotFrom('198.51.100.7', `someone${i}@example.com`)).status);
    }
    expect(statuses).toEqual([302, 302, 302, 429]);
    // Another client is not held back by it.
    expect((await forgotFrom('198.51.100.8', 'someone9@example.com')).status).toBe(302);
  });
});
