import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { authCookieFor } from '../factories/user.factory';
import { TestApp } from '../utils/test-app';
import { User } from '../../src/users/user.entity';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Debian's Chromium, headless, with nothing that reaches outside this machine. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A browser profile logged in as `user` (the auth cookie set as a login would set it). */
export async function loggedInContext(
  browser: Browser,
  t: TestApp,
  user: User,
): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: t.baseUrl });
  const [name, value] = (await authCookieFor(t.app, user)).split('=');
  await context.addCookies([{ name, value, url: t.baseUrl, httpOnly: true, sameSite: 'Lax' }]);
  return context;
}

/** The badge as a person sees it: the number, or null while it is hidden. */
export async function visibleBadge(page: Page): Promise<string | null> {
  return page.$eval('#message_count', (el) =>
    getComputedStyle(el).visibility === 'hidden' ? null : el.textContent,
  );
}

export async function waitForBadge(page: Page, expected: string | null, timeout = 2000) {
  await page.waitForFunction(
    (want) => {
      const el = document.getElementById('message_count');
      if (!el) {
        return false;
      }
      const shown = getComputedStyle(el).visibility === 'hidden' ? null : el.textContent;
      return shown === want;
    },
    expected,
    { timeout },
  );
}

/** Sends a message the way a person does: the form, typed and submitted. */
export async function sendMessage(page: Page, to: string, text: string): Promise<void> {
  await page.goto(`/send_message/${to}`);
  await page.fill('textarea[name="message"]', text);
  await Promise.all([
    page.waitForURL(`**/conversations/${to}`),
    page.click(`form[action="/send_message/${to}"] button[type="submit"]`),
  ]);
}

/** Submits a form with its submit button and waits for the page the server answers with. */
export async function submitForm(page: Page, formSelector: string): Promise<void> {
  await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.request().isNavigationRequest(),
    ),
    page.click(`${formSelector} [type="submit"]`),
  ]);
  await page.waitForLoadState('load');
}
