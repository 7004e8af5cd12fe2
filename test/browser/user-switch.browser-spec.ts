import { Browser, BrowserContext, Page } from 'playwright-core';
import { User } from '../../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { clearDatabase } from '../utils/clear-database';
import { createTestApp, TestApp } from '../utils/test-app';
import {
  launchChromium,
  loggedInContext,
  sendMessage,
  visibleBadge,
  waitForBadge,
} from './browser';

type NotificationsState = { live: boolean; ended: boolean; role: string };
const stateOf = (page: Page) =>
  page.evaluate(
    () => (window as { microblogNotifications?: NotificationsState }).microblogNotifications,
  );

/** One shared browser (one profile): users log in and out through its forms, as people do. */
describe('Logout and user switch in one browser', () => {
  let t: TestApp;
  let browser: Browser;
  let shared: BrowserContext;
  let sender: BrowserContext;
  let senderPage: Page;
  let bob: User;

  beforeAll(async () => {
    t = await createTestApp({ SSE_RETRY_MS: '500' }, { listen: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  beforeEach(async () => {
    await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    const carol: User = await createUser(t.app, 'carol');
    shared = await browser.newContext({ baseURL: t.baseUrl });
    sender = await loggedInContext(browser, t, carol);
    senderPage = await sender.newPage();
  });

  afterEach(async () => {
    await shared.close();
    await sender.close();
    await clearDatabase(t.dataSource);
  });

  const logIn = async (page: Page, username: string) => {
    await page.goto('/auth/login');
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', DEFAULT_PASSWORD);
    await Promise.all([page.waitForURL('**/'), page.click('form[action^="/auth/login"] button')]);
  };
  const logOut = async (page: Page) => {
    await Promise.all([
      page.waitForURL('**/'),
      page.click('form[action="/auth/logout"] button[type="submit"]'),
    ]);
  };
  const openLivePage = async (path = '/explore') => {
    const page = await shared.newPage();
    await page.goto(path);
    await page.waitForFunction(
      () =>
        (window as { microblogNotifications?: NotificationsState }).microblogNotifications?.live,
    );
    return page;
  };

  it("should leave nothing of the old user's session live after logout, and serve the next user live", async () => {
    const loginTab = await shared.newPage();
    await logIn(loginTab, 'alice');
    const stale = await openLivePage();
    const aliceFollower = await openLivePage('/messages');
    await sendMessage(senderPage, 'alice', 'for alice');
    await waitForBadge(stale, '1');
    await waitForBadge(aliceFollower, '1');
    expect(await stale.title()).toBe('(1) Explore - Microblog');

    // Alice logs out in one tab: the others stop at once and clear what they showed.
    await logOut(loginTab);
    for (const tab of [stale, aliceFollower]) {
      await tab.waitForFunction(
        () =>
          (window as { microblogNotifications?: NotificationsState }).microblogNotifications?.ended,
        undefined,
        { timeout: 2000 },
      );
      expect(await visibleBadge(tab)).toBeNull();
      expect(await tab.title()).toMatch(/^(Explore|Messages) - Microblog$/);
    }
    await sendMessage(senderPage, 'alice', 'after logout');
    await stale.waitForTimeout(700);
    expect(await visibleBadge(stale)).toBeNull();

    // Bob logs in to the same browser; the stale tabs of alice are still open.
    await logIn(loginTab, 'bob');
    const started = Date.now();
    const bobTab = await openLivePage();
    expect(Date.now() - started).toBeLessThan(2000);
    const roles = [(await stateOf(loginTab))?.role, (await stateOf(bobTab))?.role];
    expect(roles.sort()).toEqual(['follower', 'leader']);
    await sendMessage(senderPage, 'bob', 'for bob');
    await waitForBadge(bobTab, '1', 2000);
    await waitForBadge(loginTab, '1', 2000);

    // A tab rendered for alice never shows bob's data, even after her stream would reconnect.
    await stale.waitForTimeout(1500);
    expect(await visibleBadge(stale)).toBeNull();
    expect(await visibleBadge(aliceFollower)).toBeNull();
    expect(await stale.title()).toBe('Explore - Microblog');
    expect((await stateOf(stale))?.live).toBe(false);
  });

  it("should stop a tab whose page belongs to the previous user when it reconnects with the next user's cookie", async () => {
    const loginTab = await shared.newPage();
    await logIn(loginTab, 'alice');
    await loginTab.close();
    const stale = await openLivePage();
    expect((await stateOf(stale))?.role).toBe('leader');
    // The cookie changes under the tab without a logout (say, a login in another window).
    const [name, value] = (await authCookieFor(t.app, bob)).split('=');
    await shared.addCookies([{ name, value, url: t.baseUrl, httpOnly: true, sameSite: 'Lax' }]);
    // The server drops alice's stream (as a restart would); EventSource reconnects as bob.
    await stale.evaluate(() => window.dispatchEvent(new Event('online')));
    await stale.waitForFunction(
      () =>
        (window as { microblogNotifications?: NotificationsState }).microblogNotifications?.ended,
      undefined,
      { timeout: 2000 },
    );
    await sendMessage(senderPage, 'bob', 'for bob');
    await stale.waitForTimeout(700);
    expect(await visibleBadge(stale)).toBeNull();
  });
});
