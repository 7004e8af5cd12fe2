import { createServer } from 'node:net';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { User } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { accountLink, RESET_LINK } from '../utils/email-links';
import { TestSmtpServer } from '../utils/smtp';
import { createTestApp, TestApp } from '../utils/test-app';
import { launchChromium, loggedInContext } from './browser';

const NEW_PASSWORD = 'a brand new passphrase';

type NotificationsState = { live: boolean; ended: boolean };
const notificationsOf = (page: Page) =>
  page.evaluate(
    () => (window as { microblogNotifications?: NotificationsState }).microblogNotifications,
  );

/** A port nothing listens on, for an app whose PUBLIC_URL (the links in emails) must name it. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Submits the form the focused field is in with Enter, and waits for the page it leads to. */
async function pressEnterAndWait(page: Page): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

/**
 * "Forgot your password?" as a person goes through it: the login page's link, the form, the
 * email read from a real SMTP server, its link opened in the browser, the new password, a
 * login with it; meanwhile another browser where the account was logged in is logged out.
 */
describe('Password reset in a real browser', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let browser: Browser;
  let susan: User;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    smtp = await TestSmtpServer.start();
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const app = await createTestApp({
      SMTP_URL: smtp.url,
      MAIL_POLL_MS: '200',
      MAIL_RETRY_BASE_MS: '200',
      PUBLIC_URL: baseUrl,
    });
    await app.app.listen(port, '127.0.0.1');
    t = { ...app, baseUrl };
    browser = await launchChromium();
    susan = await createUser(t.app, 'susan');
  });

  afterAll(async () => {
    await browser?.close();
    await t.close();
    await smtp.stop();
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) {
      await context.close();
    }
  });

  it('should reset the password from the login page through the emailed link, and log out the other browser', async () => {
    // Another browser of susan's, with a live page.
    const phone = await loggedInContext(browser, t, susan);
    contexts.push(phone);
    const phonePage = await phone.newPage();
    await phonePage.goto('/explore');
    await phonePage.waitForFunction(
      () => (window as { microblogNotifications?: { live: boolean } }).microblogNotifications?.live,
    );

    const laptop = await browser.newContext({ baseURL: t.baseUrl });
    contexts.push(laptop);
    const page = await laptop.newPage();
    await page.goto('/auth/login');
    await Promise.all([
      page.waitForURL('**/auth/forgot_password'),
      page.click('#forgot-password-link'),
    ]);
    expect(await page.title()).toContain('Reset your password');

    // An empty form is sent back with the error summary focused, as every form of the site.
    await Promise.all([
      page.waitForNavigation(),
      page.click('form[action="/auth/forgot_password"] button'),
    ]);
    await page.waitForFunction(() => document.activeElement?.id === 'error-summary');
    expect(await page.getAttribute('#email', 'aria-invalid')).toBe('true');

    await page.fill('#email', 'susan@example.com');
    await page.focus('#email');
    await pressEnterAndWait(page);
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    expect(await page.textContent('.alert')).toContain('If an account exists for that address');

    const [mail] = await smtp.waitForCount(1);
    const { url } = accountLink(mail, RESET_LINK);
    expect(url.startsWith(`${t.baseUrl}/auth/reset_password/`)).toBe(true);
    await page.goto(url);
    expect(await page.textContent('h1')).toBe('Choose a new password');

    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#password2', 'not the same');
    await page.focus('#password2');
    await pressEnterAndWait(page);
    await page.waitForFunction(() => document.activeElement?.id === 'error-summary');
    expect(await page.textContent('#password2-error')).toBe('The passwords do not match.');

    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#password2', NEW_PASSWORD);
    await page.focus('#password2');
    await pressEnterAndWait(page);
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    expect(await page.textContent('.alert')).toContain(
      'Your password has been changed. Log in with the new one.',
    );

    // The other browser: its live page stops, and it is logged out.
    await phonePage.waitForFunction(
      () =>
        (window as { microblogNotifications?: { ended: boolean } }).microblogNotifications?.ended,
    );
    expect(await notificationsOf(phonePage)).toMatchObject({ live: false, ended: true });
    await phonePage.goto('/edit_profile');
    expect(new URL(phonePage.url()).pathname).toBe('/auth/login');

    // The old password no longer logs in; the new one does.
    await page.fill('#username', 'susan');
    await page.fill('#password', DEFAULT_PASSWORD);
    await page.focus('#password');
    await pressEnterAndWait(page);
    expect(await page.textContent('#form-error')).toContain('Invalid username or password');
    await page.fill('#password', NEW_PASSWORD);
    await page.focus('#password');
    await pressEnterAndWait(page);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('form[action="/auth/logout"]').count()).toBe(1);

    // The link is spent: opening it again shows why, with the way to a new one.
    const reopened = await page.goto(url);
    expect(reopened?.status()).toBe(410);
    expect(await page.textContent('h1')).toBe('This link has expired or was already used');
    expect(await page.getAttribute('main a.btn', 'href')).toBe('/auth/forgot_password');
  });

  /** Presses Tab until the element matching `selector` has focus (at most `limit` times). */
  async function tabTo(page: Page, selector: string, limit = 40): Promise<void> {
    for (let i = 0; i < limit; i++) {
      if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
        return;
      }
      await page.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${selector}`);
  }

  it('should ask for a reset link and send the confirmation again from the keyboard alone', async () => {
    const anonymous = await browser.newContext({ baseURL: t.baseUrl });
    contexts.push(anonymous);
    const page = await anonymous.newPage();
    const sent = smtp.received.length;
    await page.goto('/auth/login');
    await tabTo(page, '#forgot-password-link');
    await Promise.all([page.waitForURL('**/auth/forgot_password'), page.keyboard.press('Enter')]);
    await tabTo(page, '#email');
    await page.keyboard.type('susan@example.com');
    await pressEnterAndWait(page);
    expect(await page.textContent('[role="alert"]')).toContain(
      'If an account exists for that address',
    );

    await smtp.waitForCount(sent + 1);

    // Logged in, the address not confirmed yet: the button on the profile page.
    const mine = await loggedInContext(browser, t, susan);
    contexts.push(mine);
    const profile = await mine.newPage();
    await profile.goto('/edit_profile');
    expect(await profile.getAttribute('#email-status', 'data-confirmed')).toBe('false');
    await tabTo(profile, 'form[action="/edit_profile/email/confirmation"] button');
    await pressEnterAndWait(profile);
    expect(new URL(profile.url()).hash).toBe('#email-address');
    expect(await profile.textContent('[role="alert"]')).toContain(
      "We've sent a new confirmation link to susan@example.com.",
    );
    const [, confirmation] = (await smtp.waitForCount(sent + 2)).slice(sent);
    expect(confirmation.subject).toBe('Confirm your email address for Microblog');
  });
});
