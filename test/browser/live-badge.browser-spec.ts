import { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Role, User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { clearDatabase } from '../utils/clear-database';
import { createTestApp, TestApp } from '../utils/test-app';
import {
  launchChromium,
  loggedInContext,
  sendMessage,
  visibleBadge,
  waitForBadge,
} from './browser';

describe('Live unread badge in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let a: BrowserContext;
  let b: BrowserContext;
  let aPage: Page;
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
    const alice = await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    a = await loggedInContext(browser, t, alice);
    b = await loggedInContext(browser, t, bob);
    aPage = await a.newPage();
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    await clearDatabase(t.dataSource);
  });

  /** A page of B's, receiving notifications live (its own stream, or the leader tab's). */
  const openBobPage = async (path = '/') => {
    const page = await b.newPage();
    await page.goto(path);
    await page.waitForFunction(
      () => (window as { microblogNotifications?: { live: boolean } }).microblogNotifications?.live,
    );
    return page;
  };

  it('should show a new message on the badge within 2 s, without reload', async () => {
    const page = await openBobPage();
    expect(await visibleBadge(page)).toBeNull();
    expect(await page.title()).toBe('Home - Microblog');

    await sendMessage(aPage, 'bob', 'Hello Bob');
    await waitForBadge(page, '1');
    expect(await page.title()).toBe('(1) Home - Microblog');
    expect(await page.getAttribute('#message_count_status', 'aria-live')).toBe('polite');
    expect(await page.textContent('#message_count_status')).toBe('1 unread message');

    await sendMessage(aPage, 'bob', 'Are you there?');
    await waitForBadge(page, '2');
    expect(await page.title()).toBe('(2) Home - Microblog');
  });

  it('should hide the badge in the other tab once Messages is opened in one', async () => {
    await sendMessage(aPage, 'bob', 'one');
    const first = await openBobPage();
    const second = await openBobPage();
    expect(await visibleBadge(first)).toBe('1');
    expect(await visibleBadge(second)).toBe('1');

    await second.goto('/messages');
    expect(await visibleBadge(second)).toBeNull();
    await waitForBadge(first, null);
    expect(await first.title()).toBe('Home - Microblog');
  });

  it('should catch up after being offline, without reload', async () => {
    const page = await openBobPage();
    await b.setOffline(true);
    for (const text of ['one', 'two', 'three']) {
      await sendMessage(aPage, 'bob', text);
    }
    await page.waitForTimeout(500);
    await b.setOffline(false);
    await waitForBadge(page, '3', 5000);
  });

  it('should update 10 tabs from one stream and keep loading pages', async () => {
    const tabs: Page[] = [];
    for (let i = 0; i < 10; i++) {
      tabs.push(await openBobPage());
    }
    const roles = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(
          () =>
            (window as { microblogNotifications?: { role: string } }).microblogNotifications?.role,
        ),
      ),
    );
    expect(roles.filter((role) => role === 'leader')).toHaveLength(1);
    await sendMessage(aPage, 'bob', 'to all tabs');
    for (const tab of tabs) {
      await waitForBadge(tab, '1');
    }
    const navigation = await tabs[9].goto('/explore', { timeout: 3000 });
    expect(navigation?.status()).toBe(200);
    expect(await visibleBadge(tabs[9])).toBe('1');
  });

  it('should fall back to polling /notifications when EventSource is missing', async () => {
    await b.addInitScript(() => {
      delete (window as { EventSource?: unknown }).EventSource;
    });
    const page = await b.newPage();
    const polled = page.waitForRequest((r) => r.url().includes('/notifications?since='));
    await page.goto('/');
    await polled;
    await sendMessage(aPage, 'bob', 'polled');
    await waitForBadge(page, '1', 12_000);
  });

  it('should hand the stream over when the leader tab closes', async () => {
    const leader = await openBobPage();
    const follower = await openBobPage();
    const role = (page: Page) =>
      page.evaluate(
        () =>
          (window as { microblogNotifications?: { role: string } }).microblogNotifications?.role,
      );
    expect(await role(leader)).toBe('leader');
    expect(await role(follower)).toBe('follower');
    await leader.close();
    await follower.waitForFunction(
      () =>
        (window as { microblogNotifications?: { role: string; live: boolean } })
          .microblogNotifications?.role === 'leader',
    );
    await sendMessage(aPage, 'bob', 'after the hand-over');
    await waitForBadge(follower, '1');
  });

  it('should ignore a notification older than the one it already applied', async () => {
    const page = await openBobPage();
    const follower = await openBobPage();
    await sendMessage(aPage, 'bob', 'one');
    await sendMessage(aPage, 'bob', 'two');
    await waitForBadge(follower, '2');
    // A relayed event from before the tab's cursor (a repeat) reaches it after the newer one.
    await page.evaluate((userId) => {
      new BroadcastChannel(`microblog-notifications-${userId}`).postMessage({
        type: 'notification',
        notification: { id: '1:0', name: 'unread_message_count', data: 1, timestamp: 1 },
      });
    }, bob.id);
    await follower.waitForTimeout(300);
    expect(await visibleBadge(follower)).toBe('2');
  });

  it('should show an admin announcement as a dismissible banner at once', async () => {
    const page = await openBobPage();
    const admin = await createUser(t.app, 'root', { role: Role.Admin });
    const { token } = await t.app.get(AuthService).issueToken(admin, false);
    const res = await request(t.app.getHttpServer())
      .post('/api/admin/notifications')
      .set('Authorization', `Bearer ${token}`)
      .send({ user: 'all', name: 'announcement', data: { message: 'Maintenance <b>tonight</b>' } });
    expect(res.status).toBe(201);
    await page.waitForSelector('#announcement', { timeout: 2000 });
    expect(await page.textContent('#announcement span')).toBe('Maintenance <b>tonight</b>');
    await page.click('#announcement .btn-close');
    expect(await page.$('#announcement')).toBeNull();
    await page.reload();
    await page.waitForFunction(
      () => (window as { microblogNotifications?: { live: boolean } }).microblogNotifications?.live,
    );
    await page.waitForTimeout(300);
    expect(await page.$('#announcement')).toBeNull();
  });
});
