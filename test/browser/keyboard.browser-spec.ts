import { Browser, BrowserContext, Page } from 'playwright-core';
import { UnsubscribeLinks } from '../../src/digests/unsubscribe-links';
import { MessagesService } from '../../src/messages/messages.service';
import { PostsService } from '../../src/posts/posts.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { clearDatabase } from '../utils/clear-database';
import { createTestApp, TestApp } from '../utils/test-app';
import { launchChromium, loggedInContext, submitForm } from './browser';
import { landAfter, tabTo } from './conversation-helpers';

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

const liveText = (page: Page) => page.textContent('#message_count_status');

/** Waits until the page receives notifications live (its own stream or a leader tab's). */
const waitUntilLive = (page: Page) =>
  page.waitForFunction(
    () => (window as { microblogNotifications?: { live: boolean } }).microblogNotifications?.live,
  );

/** Whether a person sees the element: laid out, not visibility:hidden, inside the viewport. */
const onScreen = (page: Page, selector: string) =>
  page.$eval(selector, (el) => {
    const box = el.getBoundingClientRect();
    return (
      getComputedStyle(el).visibility !== 'hidden' &&
      box.width > 1 &&
      box.height > 1 &&
      box.right <= window.innerWidth &&
      box.bottom <= window.innerHeight
    );
  });

describe('Keyboard and screen reader use in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let alice: User;
  let bob: User;

  beforeAll(async () => {
    t = await createTestApp({ SSE_RETRY_MS: '500', POSTS_PER_PAGE: '2' }, { listen: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  beforeEach(async () => {
    alice = await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    await createUser(t.app, 'carol');
  });

  afterEach(async () => {
    await context?.close();
    await clearDatabase(t.dataSource);
  });

  const send = async (count: number, from = bob, to = alice) => {
    const messages = t.app.get(MessagesService);
    for (let i = 0; i < count; i++) {
      await messages.send(from, to, `message ${i + 1}`);
    }
  };

  it('should focus the skip link first, and move focus to the main content with it', async () => {
    context = await browser.newContext({ baseURL: t.baseUrl });
    const page = await context.newPage();
    await page.goto('/auth/login');
    expect(await onScreen(page, '.skip-link')).toBe(false);

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
      'Skip to main content',
    );
    expect(await onScreen(page, '.skip-link')).toBe(true);

    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'main');
    await page.keyboard.press('Tab');
    expect(await activeId(page)).toBe('username');
  });

  it('should focus the error summary after a failed login, and reach the field from its link', async () => {
    context = await browser.newContext({ baseURL: t.baseUrl });
    const page = await context.newPage();
    await page.goto('/auth/login');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'wrong password');
    await submitForm(page, 'form[action^="/auth/login"]');

    expect(await activeId(page)).toBe('error-summary');
    expect(await page.textContent('#error-summary h2')).toBe('There is a problem');
    expect(await page.textContent('#form-error')).toBe('Invalid username or password');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe(
      '#username',
    );
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'username');
  });

  it('should list each invalid field in the summary and tie its message to the field', async () => {
    context = await browser.newContext({ baseURL: t.baseUrl });
    const page = await context.newPage();
    await page.goto('/auth/register');
    await page.fill('#email', 'not an address');
    await page.fill('#password', 'short');
    await page.fill('#password2', 'other');
    await submitForm(page, 'form[action="/auth/register"]');

    expect(await activeId(page)).toBe('error-summary');
    const links = await page.$$eval('#error-summary a', (as) =>
      as.map((a) => [a.getAttribute('href'), a.textContent]),
    );
    expect(links).toEqual([
      ['#username', 'This field is required.'],
      ['#email', 'Enter a valid email address.'],
      ['#password', 'At least 8 characters.'],
      ['#password2', 'The passwords do not match.'],
    ]);
    const email = page.locator('#email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.getAttribute('aria-describedby')).toBe('email-error');
    expect(await page.textContent('#email-error')).toBe('Enter a valid email address.');
    expect(await page.getByRole('textbox', { name: 'Email' }).getAttribute('id')).toBe('email');

    await page.click('#error-summary a[href="#password"]');
    await page.waitForFunction(() => document.activeElement?.id === 'password');
  });

  it('should show the badge on a narrow screen without opening the menu, 99+ above 99', async () => {
    await send(150);
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    await page.setViewportSize({ width: 375, height: 700 });
    await page.goto('/user/alice');
    await waitUntilLive(page);

    expect(await page.isVisible('#main-nav')).toBe(false);
    expect(await onScreen(page, '#message_count')).toBe(true);
    expect(await page.textContent('#message_count')).toBe('99+');
    expect(await page.getAttribute('#message_count', 'data-count')).toBe('150');
    expect(await page.getAttribute('#message_count', 'aria-hidden')).toBe('true');
    expect(await liveText(page)).toBe('150 unread messages');
    expect(await page.title()).toBe('(99+) User: alice - Microblog');
    const link = page.getByRole('link', { name: 'Messages 150 unread messages', exact: true });
    expect(await link.getAttribute('href')).toBe('/conversations');

    // Live: the exact number for screen readers, still 99+ on the badge and in the title.
    await send(1);
    await page.waitForFunction(
      () => document.getElementById('message_count_status')?.textContent === '151 unread messages',
    );
    expect(await page.textContent('#message_count')).toBe('99+');
    expect(await page.getAttribute('#message_count', 'data-count')).toBe('151');
    expect(await page.title()).toBe('(99+) User: alice - Microblog');
  }, 90_000);

  it('should keep the live region in the accessibility tree at 0', async () => {
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    await page.goto('/user/bob');
    expect(await liveText(page)).toBe('No unread messages');
    expect(await page.textContent('#message_count')).toBe('0');
    const status = await page.$eval('#message_count_status', (el) => {
      const style = getComputedStyle(el);
      return [el.getAttribute('aria-live'), style.display, style.visibility];
    });
    expect(status).toEqual(['polite', 'block', 'visible']);
    expect(await page.title()).toBe('User: bob - Microblog');

    await waitUntilLive(page);
    await send(1);
    await page.waitForFunction(
      () => document.getElementById('message_count_status')?.textContent === '1 unread message',
    );
    expect(await page.textContent('#message_count')).toBe('1');
    expect(await page.title()).toBe('(1) User: bob - Microblog');
  });

  it('should read the Russian plural forms, rendered and live', async () => {
    await send(3);
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    await page.goto('/user/bob?lang=ru');
    expect(await liveText(page)).toBe('3 непрочитанных сообщения');
    expect(await page.title()).toBe('(3) Пользователь: bob - Микроблог');

    await waitUntilLive(page);
    await send(2);
    await page.waitForFunction(
      () =>
        document.getElementById('message_count_status')?.textContent ===
        '5 непрочитанных сообщений',
    );
    const readAs = (n: number) =>
      page.evaluate((count) => {
        (window as unknown as { set_message_count: (n: number) => void }).set_message_count(count);
        return document.getElementById('message_count_status')?.textContent;
      }, n);
    expect(await readAs(21)).toBe('21 непрочитанное сообщение');
    expect(await readAs(1)).toBe('1 непрочитанное сообщение');
    expect(await readAs(0)).toBe('Нет непрочитанных сообщений');

    await page.reload();
    expect(await liveText(page)).toBe('5 непрочитанных сообщений');
  });

  it('should count characters as the server does, and announce only near the limit', async () => {
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    await page.goto('/edit_profile');
    const counter = () => page.textContent('#about_me-counter');
    const live = () => page.textContent('#about_me-counter-live');
    expect(await counter()).toBe('140 characters left');
    expect(await page.getAttribute('#about_me', 'aria-describedby')).toBe('about_me-counter');

    await page.fill('#about_me', 'a'.repeat(100));
    expect(await counter()).toBe('40 characters left');
    expect(await live()).toBe('');
    await page.fill('#about_me', 'a'.repeat(120));
    expect(await live()).toBe('20 characters left');
    await page.fill('#about_me', 'a'.repeat(121));
    expect(await counter()).toBe('19 characters left');
    expect(await live()).toBe('20 characters left');

    // Grapheme clusters of the trimmed text: each family emoji is one character.
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    await page.fill('#about_me', `  ${family.repeat(139)}\n `);
    expect(await counter()).toBe('1 character left');
    expect(await live()).toBe('1 character left');
    await page.fill('#about_me', family.repeat(142));
    expect(await counter()).toBe('2 characters too many');
    expect(await live()).toBe('2 characters too many');
    expect(await page.getAttribute('#about_me-counter', 'class')).toContain('text-danger');

    // What the counter refuses, the server refuses, and renders the same count.
    await page.fill('#about_me', family.repeat(141));
    await submitForm(page, 'form[action="/edit_profile"]');
    expect(await page.textContent('#error-summary a[href="#about_me"]')).toBe(
      'At most 140 characters.',
    );
    expect(await counter()).toBe('1 character too many');
    expect(await page.getAttribute('#about_me', 'aria-describedby')).toBe(
      'about_me-error about_me-counter',
    );
    // What the counter allows, the server takes.
    await page.fill('#about_me', ` ${family.repeat(140)} `);
    expect(await counter()).toBe('0 characters left');
    await submitForm(page, 'form[action="/edit_profile"]');
    expect(await page.$('#error-summary')).toBeNull();
    expect(await page.textContent('.alert-success')).toContain('Your changes have been saved.');
    await page.goto('/edit_profile');
    expect(await counter()).toBe('0 characters left');
  });

  it('should show a clear focus outline on everything reachable by Tab', async () => {
    // Explore lists posts: three (two a page) give it posts, a profile card, Delete and a pager.
    const posts = t.app.get(PostsService);
    await posts.create(bob, 'first of bob');
    await posts.create(alice, 'one of mine');
    await posts.create(bob, 'second of bob');
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    const seen: string[] = [];
    for (const path of ['/edit_profile', '/explore']) {
      await page.goto(path);
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        // A username opens its profile card once the card is fetched: its Follow button comes
        // next in the tab order only then.
        await page.waitForFunction(() => {
          const el = document.activeElement;
          return !el?.hasAttribute('data-user-card') || el.getAttribute('aria-expanded') === 'true';
        });
        const focused = await page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body) {
            return null;
          }
          const style = getComputedStyle(el);
          return {
            what: `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent?.trim() ?? ''}`,
            outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
          };
        });
        if (!focused) {
          break;
        }
        seen.push(focused.what);
        expect(focused).toEqual({ what: focused.what, outline: true });
      }
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^a\.visually-hidden-focusable skip-link/),
        expect.stringMatching(/^button\.btn btn-link nav-link: Logout$/),
        expect.stringMatching(/^input\.form-control/),
        expect.stringMatching(/^textarea\.form-control/),
        expect.stringMatching(/^a\.page-link/),
        expect.stringMatching(/^a\.fw-semibold text-break user-link: bob$/),
        expect.stringMatching(/^button\.btn btn-primary btn-sm: Follow$/),
        expect.stringMatching(/^button\.btn btn-link btn-sm p-0 text-danger: Delete$/),
      ]),
    );
  });

  it('should write a post from the keyboard: Tab to the text area, type, the counter follows, Enter on the button', async () => {
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    await page.goto('/');
    const counter = () => page.textContent('#post-counter');
    const focusedIs = (selector: string) =>
      page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);

    await tabTo(page, 'form[action="/posts"] textarea#post');
    expect(await page.getAttribute('#post', 'aria-describedby')).toBe('post-counter');
    expect(await counter()).toBe('140 characters left');
    await page.keyboard.type('Hello from the keyboard');
    expect(await counter()).toBe('117 characters left');
    expect(await page.textContent('#post-counter-live')).toBe('');
    await page.keyboard.type('!'.repeat(97));
    expect(await counter()).toBe('20 characters left');
    expect(await page.textContent('#post-counter-live')).toBe('20 characters left');
    await page.keyboard.type('?'.repeat(21));
    expect(await counter()).toBe('1 character too many');

    // Over the limit: the server sends the form back, focus on the summary, the text kept.
    await page.keyboard.press('Tab');
    expect(await focusedIs('form[action="/posts"] button[type="submit"]')).toBe(true);
    const refused = await landAfter(page, () => page.keyboard.press('Enter'));
    expect(refused?.status()).toBe(400);
    expect(await activeId(page)).toBe('error-summary');
    expect(await page.textContent('#error-summary a[href="#post"]')).toBe(
      'At most 140 characters.',
    );
    expect(await counter()).toBe('1 character too many');

    // Back to the field from the summary, one character less, and Enter on the button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'post');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Backspace');
    expect(await counter()).toBe('0 characters left');
    await page.keyboard.press('Tab');
    expect(await focusedIs('form[action="/posts"] button[type="submit"]')).toBe(true);
    const posted = await landAfter(page, () => page.keyboard.press('Enter'));
    expect(posted?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.textContent('.alert-success')).toContain('Your post is now live!');
    expect(await page.textContent('#posts > li.post .post-body')).toBe(
      `Hello from the keyboard${'!'.repeat(97)}${'?'.repeat(20)}`,
    );
    expect(await page.inputValue('#post')).toBe('');
    expect(await counter()).toBe('140 characters left');
  }, 60_000);

  it('should choose "also by email" from the keyboard: Tab to a box, Space, Enter on Save', async () => {
    context = await loggedInContext(browser, t, alice);
    const page = await context.newPage();
    await page.goto('/edit_profile');
    await tabTo(page, '#email_follows');
    // The group and why mail may not come yet are what a screen reader reads with the box.
    expect(
      await page.$eval('#email_follows', (el) =>
        el.closest('fieldset')?.getAttribute('aria-describedby'),
      ),
    ).toBe('email-preferences-help email-unconfirmed');
    await page.keyboard.press('Space');
    await tabTo(page, 'form[action="/notifications/preferences"] button[type="submit"]');
    await landAfter(page, () => page.keyboard.press('Enter'));
    expect(await page.isChecked('#email_follows')).toBe(true);
    await expect(
      t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id }),
    ).resolves.toMatchObject({ emailFollows: true });
  });

  it("should unsubscribe from a digest's link with the keyboard, logged out", async () => {
    context = await browser.newContext({ baseURL: t.baseUrl });
    const page = await context.newPage();
    const token = t.app.get(UnsubscribeLinks).token({ userId: alice.id, scope: 'all' });
    await page.goto(`/unsubscribe/${token}`);
    await tabTo(page, '#unsubscribe-button');
    const done = await landAfter(page, () => page.keyboard.press('Enter'));
    expect(done?.status()).toBe(200);
    expect(await page.textContent('#unsubscribed p.lead')).toBe(
      "You won't get these emails any more.",
    );
    await tabTo(page, '#unsubscribed a[href="/edit_profile#notification-preferences"]');
    await expect(
      t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id }),
    ).resolves.toMatchObject({ emailMentions: false, emailMessages: false });
  });
});
