import AxeBuilder from '@axe-core/playwright';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { BlocksService } from '../../src/blocks/blocks.service';
import { MessagesService } from '../../src/messages/messages.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { createTestApp, TestApp } from '../utils/test-app';
import { launchChromium, loggedInContext, submitForm } from './browser';

/** What axe checks: WCAG 2.0-2.2 A and AA, and its best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', 'best-practice'];
const LANGUAGES = ['en', 'es', 'ru'] as const;

interface PageCase {
  /** Shown in the test name. */
  name: string;
  /** Logged in as "me" (alice, who has messages from bob), or anonymous. */
  as: 'me' | 'anonymous';
  path: string;
  /** Brings the page to the state to check (a form sent back with errors), once it is open. */
  act?: (page: Page) => Promise<void>;
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
];

describe('Accessibility (axe-core in Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let me: User;
  const contexts = new Map<string, BrowserContext>();

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    browser = await launchChromium();
    me = await createUser(t.app, 'alice');
    const bob = await createUser(t.app, 'bob');
    await createUser(t.app, 'carol');
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
    const page = await (await contextFor(c.as, c.lang)).newPage();
    try {
      await page.goto(c.path);
      await c.act?.(page);
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
