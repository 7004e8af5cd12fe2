import AxeBuilder from '@axe-core/playwright';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { EmailTokensService } from '../../src/auth/email-tokens.service';
import { BlocksService } from '../../src/blocks/blocks.service';
import { UnsubscribeLinks } from '../../src/digests/unsubscribe-links';
import { TransactionService } from '../../src/database/transaction.service';
import { FollowsService } from '../../src/follows/follows.service';
import { MessagesService } from '../../src/messages/messages.service';
import { NotificationCenterService } from '../../src/notifications/notification-center.service';
import { PostFanoutService } from '../../src/posts/post-fanout.service';
import { PostsService } from '../../src/posts/posts.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { createTestApp, TestApp } from '../utils/test-app';
import { launchChromium, loggedInContext, submitForm } from './browser';

/** What axe checks: WCAG 2.0-2.2 A and AA, and its best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', 'best-practice'];
const LANGUAGES = ['en', 'es', 'ru'] as const;

// Pages full of posts, axe over each, on a shared machine: more than the default 30 s a case.
jest.setTimeout(90_000);

/** The app and its users, for cases that change something before or while the page is open. */
interface World {
  t: TestApp;
  users: Record<'alice' | 'bob' | 'carol', User>;
}

interface PageCase {
  /** Shown in the test name. */
  name: string;
  /** Logged in as "me" (alice, who has messages from bob), or anonymous. */
  as: 'me' | 'anonymous';
  path: string;
  /** Something that happens before the page opens (a notification it is to show as new). */
  before?: (w: World) => Promise<void>;
  /** Brings the page to the state to check (a form sent back with errors), once it is open. */
  act?: (page: Page, w: World) => Promise<void>;
}

/** A post, delivered to its author's followers' timelines before the call returns. */
async function post(w: World, author: User, body: string): Promise<void> {
  const created = await w.t.app.get(PostsService).create(author, body);
  await w.t.app.get(PostFanoutService).deliver(created.id);
}

/** Waits until the page receives notifications live (its own stream or a leader tab's). */
const waitUntilLive = (page: Page) =>
  page.waitForFunction(
    () => (window as { microblogNotifications?: { live: boolean } }).microblogNotifications?.live,
  );

/** The home page once someone alice follows posts: the "Show 1 new post" button shows. */
async function newPostWaiting(page: Page, w: World): Promise<void> {
  await waitUntilLive(page);
  await post(w, w.users.bob, 'Something new while alice reads');
  await page.waitForSelector('#new-posts:not([hidden])', { timeout: 10_000 });
}

/** The unsubscribe page of alice's digests (a signed link: no login needed). */
async function openUnsubscribe(page: Page, w: World): Promise<void> {
  const token = w.t.app.get(UnsubscribeLinks).token({ userId: w.users.alice.id, scope: 'all' });
  await page.goto(`/unsubscribe/${token}`);
}

/**
 * Every page, in every state worth checking. A new page gets a row here. Users: "alice" is
 * "me", "bob" is the other user.
 */
const PAGES: PageCase[] = [
  // Logged out.
  { name: 'home', as: 'anonymous', path: '/' },
  { name: 'explore', as: 'anonymous', path: '/explore' },
  { name: 'login', as: 'anonymous', path: '/auth/login' },
  {
    name: 'login, wrong password',
    as: 'anonymous',
    path: '/auth/login',
    act: async (page) => {
      await page.fill('#username', 'alice');
      await page.fill('#password', 'not the password');
      await submitForm(page, 'form[action^="/auth/login"]');
    },
  },
  {
    name: 'login, empty fields',
    as: 'anonymous',
    path: '/auth/login',
    act: (page) => submitForm(page, 'form[action^="/auth/login"]'),
  },
  { name: 'register', as: 'anonymous', path: '/auth/register' },
  {
    name: 'register, invalid',
    as: 'anonymous',
    path: '/auth/register',
    act: async (page) => {
      await page.fill('#email', 'not an address');
      await page.fill('#password', 'one');
      await page.fill('#password2', 'two');
      await submitForm(page, 'form[action="/auth/register"]');
    },
  },
  { name: '404 page', as: 'anonymous', path: '/nope' },
  // Logged in.
  { name: 'home', as: 'me', path: '/' },
  { name: 'explore', as: 'me', path: '/explore' },
  { name: "another user's profile", as: 'me', path: '/user/bob' },
  { name: 'my profile', as: 'me', path: '/user/alice' },
  { name: 'edit profile', as: 'me', path: '/edit_profile' },
  {
    name: 'edit profile, invalid username',
    as: 'me',
    path: '/edit_profile',
    act: async (page) => {
      await page.fill('#username', 'no spaces allowed');
      await page.fill('#about_me', 'x'.repeat(150));
      await submitForm(page, 'form[action="/edit_profile"]');
    },
  },
  { name: 'messages', as: 'me', path: '/messages' },
  { name: 'send message', as: 'me', path: '/send_message/bob' },
  {
    name: 'send message, empty body',
    as: 'me',
    path: '/send_message/bob',
    act: (page) => submitForm(page, 'form[action="/send_message/bob"]'),
  },
  { name: 'messages, past the last page', as: 'me', path: '/messages?page=999' },
  { name: 'sent messages', as: 'me', path: '/messages/sent' },
  { name: 'conversations', as: 'me', path: '/conversations' },
  { name: 'conversation', as: 'me', path: '/conversations/bob' },
  { name: 'conversation, no messages yet', as: 'me', path: '/conversations/carol' },
  { name: 'conversation with someone I blocked', as: 'me', path: '/conversations/dave' },
  { name: 'conversation with someone who blocked me', as: 'me', path: '/conversations/erin' },
  {
    name: 'reply refused, empty body',
    as: 'me',
    path: '/conversations/bob',
    act: (page) => submitForm(page, '#reply-form'),
  },
  { name: 'blocked users', as: 'me', path: '/blocked' },
  { name: 'explore, search with no match', as: 'me', path: '/explore?q=zzz' },
  // Search of posts.
  { name: 'search, results with marked words', as: 'me', path: '/search?q=post' },
  { name: 'search, no match', as: 'me', path: '/search?q=zzz' },
  { name: 'search, nothing asked yet', as: 'me', path: '/search' },
  { name: 'search, past the last page', as: 'me', path: '/search?q=post&page=9' },
  { name: 'search, words not searched', as: 'me', path: '/search?q="(*-)+a+b+c+d+e+f+g+h+i' },
  // The microblog (posts, follows, notifications).
  { name: 'home, a new post waiting behind its button', as: 'me', path: '/', act: newPostWaiting },
  {
    name: 'home, new posts shown by the button',
    as: 'me',
    path: '/',
    act: async (page, w) => {
      await newPostWaiting(page, w);
      await page.focus('#new-posts');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.matches('li.post'));
    },
  },
  {
    name: 'home, empty post sent back',
    as: 'me',
    path: '/',
    act: (page) => submitForm(page, 'form[action="/posts"]'),
  },
  { name: 'followers', as: 'me', path: '/user/bob/followers' },
  { name: 'following', as: 'me', path: '/user/alice/following' },
  { name: 'profile, page 2 of posts', as: 'me', path: '/user/bob?page=2' },
  {
    name: 'explore, a profile card open',
    as: 'me',
    path: '/explore',
    act: async (page) => {
      await page.focus('li.post a[data-user-card="bob"]');
      await page.waitForSelector('a[data-user-card="bob"] + .profile-card', { timeout: 10_000 });
    },
  },
  {
    name: 'notification center, new and seen lines',
    as: 'me',
    path: '/notifications/center',
    before: (w) => post(w, w.users.bob, `@alice new mention ${Date.now()}`),
    act: async (page) => {
      expect(await page.$$('#notification-groups li.notification-new')).not.toHaveLength(0);
      expect(
        await page.$$('#notification-groups li.notification:not(.notification-new)'),
      ).not.toHaveLength(0);
    },
  },
  {
    name: 'edit profile, notification preferences saved',
    as: 'me',
    path: '/edit_profile',
    act: async (page) => {
      await page.click('#notify_announcements');
      await submitForm(page, 'form[action="/notifications/preferences"]');
    },
  },
  // Password reset and the email address (src/auth/password-reset.*, email-confirmation.*).
  { name: 'forgot password', as: 'anonymous', path: '/auth/forgot_password' },
  {
    name: 'forgot password, invalid address',
    as: 'anonymous',
    path: '/auth/forgot_password',
    act: async (page) => {
      await page.fill('#email', 'not an address');
      await submitForm(page, 'form[action="/auth/forgot_password"]');
    },
  },
  {
    name: 'reset password, the form a link opens',
    as: 'anonymous',
    path: '/auth/forgot_password',
    act: async (page, w) => page.goto(await resetLinkPath(w)).then(() => undefined),
  },
  {
    name: 'reset password, passwords that differ',
    as: 'anonymous',
    path: '/auth/forgot_password',
    act: async (page, w) => {
      await page.goto(await resetLinkPath(w));
      await page.fill('#password', 'a brand new passphrase');
      await page.fill('#password2', 'another passphrase');
      await submitForm(page, 'form[action^="/auth/reset_password/"]');
    },
  },
  { name: 'expired or used link', as: 'anonymous', path: '/auth/reset_password/gone' },
  { name: 'change email address', as: 'me', path: '/edit_profile/email' },
  {
    name: 'change email address, wrong password',
    as: 'me',
    path: '/edit_profile/email',
    act: async (page) => {
      await page.fill('#email', 'alice@new.example');
      await page.fill('#current_password', 'not the password');
      await submitForm(page, 'form[action="/edit_profile/email"]');
    },
  },
  {
    name: 'edit profile, address confirmed',
    as: 'me',
    path: '/edit_profile',
    before: (w) => setConfirmed(w, new Date()),
    // The page is open: the other rows find alice's address unconfirmed again.
    act: (_page, w) => setConfirmed(w, null),
  },
  // Notification email: "also by email" on the settings page, and a digest's unsubscribe link
  // opened logged out, as from a mail client.
  {
    name: 'edit profile, email preferences saved',
    as: 'me',
    path: '/edit_profile',
    act: async (page) => {
      await page.click('#email_follows');
      await submitForm(page, 'form[action="/notifications/preferences"]');
      await page.waitForSelector('#email-preferences #email-unconfirmed');
    },
  },
  { name: 'unsubscribe, the question', as: 'anonymous', path: '/explore', act: openUnsubscribe },
  {
    name: 'unsubscribe, done',
    as: 'anonymous',
    path: '/explore',
    act: async (page, w) => {
      await openUnsubscribe(page, w);
      await submitForm(page, 'form[action^="/unsubscribe/"]');
      await page.waitForSelector('#unsubscribed');
    },
  },
  { name: 'unsubscribe, a link that is not one', as: 'anonymous', path: '/unsubscribe/not-a-link' },
];

/** The path of a fresh reset link of alice's, as the email would carry it. */
async function resetLinkPath(w: World): Promise<string> {
  const token = await w.t.app
    .get(TransactionService)
    .run((tx) =>
      w.t.app.get(EmailTokensService).issue(tx.manager, w.users.alice, 'password_reset', 1_800_000),
    );
  return `/auth/reset_password/${token}`;
}

async function setConfirmed(w: World, at: Date | null): Promise<void> {
  await w.t.dataSource
    .getRepository(User)
    .update({ id: w.users.alice.id }, { emailConfirmedAt: at });
}

describe('Accessibility (axe-core in Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let me: User;
  let w: World;
  const contexts = new Map<string, BrowserContext>();

  beforeAll(async () => {
    t = await createTestApp({ POSTS_PER_PAGE: '3' }, { listen: true });
    browser = await launchChromium();
    me = await createUser(t.app, 'alice');
    const bob = await createUser(t.app, 'bob');
    const carol = await createUser(t.app, 'carol');
    const dave = await createUser(t.app, 'dave');
    const erin = await createUser(t.app, 'erin');
    const messages = t.app.get(MessagesService);
    for (const body of ['Hello Alice!', 'Line one\nline two', 'A'.repeat(140)]) {
      await messages.send(bob, me, body);
    }
    await messages.send(me, bob, 'Hi Bob, nice to hear from you.');
    await messages.send(dave, me, 'Hidden once blocked');
    await messages.send(erin, me, 'Before erin blocked alice');
    const blocks = t.app.get(BlocksService);
    await blocks.block(me, dave);
    await blocks.block(erin, me);
    // The microblog: alice follows bob and is followed; bob has more posts than a page holds
    // (POSTS_PER_PAGE=3 here) with a mention, a link and a long word; alice's center has lines
    // she has seen (each case that opens it adds a new one first).
    w = { t, users: { alice: me, bob, carol } };
    const follows = t.app.get(FollowsService);
    await follows.follow(me, bob);
    await follows.follow(carol, bob);
    await follows.follow(bob, me);
    for (const body of [
      'My first post',
      `Hello @alice, see https://example.com/${'a'.repeat(80)}`,
      'Line one\nline two',
      'W'.repeat(140),
    ]) {
      await post(w, bob, body);
    }
    await post(w, me, 'A post of my own');
    await post(w, carol, 'Carol was here');
    await t.app.get(NotificationCenterService).markSeen(me);
  });

  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  /** One browser profile per language and user, its language picked once as a person does. */
  const contextFor = async (as: PageCase['as'], lang: string) => {
    const id = `${as}:${lang}`;
    let context = contexts.get(id);
    if (!context) {
      context =
        as === 'me'
          ? await loggedInContext(browser, t, me)
          : await browser.newContext({ baseURL: t.baseUrl });
      const page = await context.newPage();
      await page.goto(`/explore?lang=${lang}`);
      await page.close();
      contexts.set(id, context);
    }
    return context;
  };

  const cases = LANGUAGES.flatMap((lang) => PAGES.map((c) => ({ ...c, lang })));

  it.each(cases)('should find no violations on $path ($name, $as, $lang)', async (c) => {
    await c.before?.(w);
    const page = await (await contextFor(c.as, c.lang)).newPage();
    try {
      await page.goto(c.path);
      await c.act?.(page, w);
      expect(await page.getAttribute('html', 'lang')).toBe(c.lang);
      const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      const found = violations.map(
        (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`,
      );
      expect(found).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
