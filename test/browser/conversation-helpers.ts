import { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { clearDatabase } from '../utils/clear-database';
import { createTestApp, TestApp } from '../utils/test-app';
import { launchChromium, loggedInContext } from './browser';

/** A phone held upright: what a 375 px wide screen shows without scrolling. */
export const PHONE = { width: 375, height: 700 };

/** How long a live update may take to show on another page. */
export const LIVE_MS = 2000;

type NotificationsState = {
  live: boolean;
  handlers: Record<string, (data: unknown, n: unknown) => void>;
};
type Recorder = { recorded?: string[] };

export interface Person {
  user: User;
  context: BrowserContext;
}

/**
 * One app and one Chromium for a spec file, and for each test alice, bob and carol, each
 * logged in in a browser profile of their own.
 */
export function useConversationWorld() {
  const world = {} as {
    t: TestApp;
    browser: Browser;
    alice: Person;
    bob: Person;
    carol: Person;
  };

  beforeAll(async () => {
    world.t = await createTestApp({ SSE_RETRY_MS: '500' }, { listen: true });
    world.browser = await launchChromium();
  });

  afterAll(async () => {
    await world.browser?.close();
    await world.t?.close();
  });

  beforeEach(async () => {
    for (const name of ['alice', 'bob', 'carol'] as const) {
      const user = await createUser(world.t.app, name);
      world[name] = { user, context: await loggedInContext(world.browser, world.t, user) };
    }
  });

  afterEach(async () => {
    for (const name of ['alice', 'bob', 'carol'] as const) {
      await world[name]?.context.close();
    }
    await clearDatabase(world.t.dataSource);
  });

  return world;
}

/** Messages sent before the test looks (the send form itself is tested elsewhere). */
export async function seedMessages(
  t: TestApp,
  from: Person,
  to: Person,
  bodies: string[],
): Promise<Message[]> {
  const messages: Message[] = [];
  for (const body of bodies) {
    messages.push(await t.app.get(MessagesService).send(from.user, to.user, body));
  }
  return messages;
}

/** A new page of `person` at `path`, once it receives notifications live. */
export async function openLive(person: Person, path: string): Promise<Page> {
  const page = await person.context.newPage();
  await gotoLive(page, path);
  return page;
}

export async function gotoLive(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.waitForFunction(
    () => (window as { microblogNotifications?: NotificationsState }).microblogNotifications?.live,
  );
}

/**
 * Runs `act` (a click or a key press that submits a form) and waits for the page the server
 * answers with, redirects followed, to have loaded; works when that is the same URL again.
 * Gives the last response of the navigation (the page's own, after any redirect).
 */
export async function landAfter(page: Page, act: () => Promise<void>): Promise<Response | null> {
  const responses: Response[] = [];
  const onResponse = (response: Response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
      responses.push(response);
    }
  };
  page.on('response', onResponse);
  try {
    const loaded = page.waitForEvent('load');
    await act();
    await loaded;
  } finally {
    page.off('response', onResponse);
  }
  return responses.at(-1) ?? null;
}

/**
 * Types `text` into an open thread's reply form and sends it with its button; fails with
 * what the page says unless the conversation comes back.
 */
export async function replyInThread(page: Page, text: string): Promise<void> {
  await page.fill('#reply-form textarea#message', text);
  const landed = await landAfter(page, () => page.click('#reply-form button[type="submit"]'));
  if (landed?.status() !== 200 || !new URL(page.url()).pathname.startsWith('/conversations/')) {
    const said = (await page.textContent('main'))?.replace(/\s+/g, ' ').trim();
    throw new Error(`the reply was answered with ${landed?.status()} at ${page.url()}: ${said}`);
  }
}

/** The thread item whose body is exactly `text`. */
export function threadItem(page: Page, text: string) {
  return page.locator('#thread li[data-message-id]').filter({
    has: page.locator('.message-body', { hasText: new RegExp(`^${escapeRegExp(text)}$`) }),
  });
}

/** Waits until the open thread shows a message with body `text`. */
export async function waitForThreadMessage(page: Page, text: string, timeout = LIVE_MS) {
  await page.waitForFunction(
    (want) =>
      Array.from(document.querySelectorAll('#thread li[data-message-id] .message-body')).some(
        (body) => body.textContent === want,
      ),
    text,
    { timeout },
  );
}

/** Bodies of the open thread, oldest first. */
export function threadBodies(page: Page): Promise<string[]> {
  return page.$$eval('#thread li[data-message-id] .message-body', (bodies) =>
    bodies.map((b) => b.textContent ?? ''),
  );
}

/** The navbar badge's exact count (data-count) and what a screen reader is told. */
export async function badgeDetails(page: Page) {
  return {
    count: await page.getAttribute('#message_count', 'data-count'),
    status: (await page.textContent('#message_count_status'))?.trim(),
  };
}

/** Posts a form of the app the way its own pages do: with the CSRF token a page carries. */
export async function postForm(page: Page, path: string, fields: Record<string, string> = {}) {
  const token = await page.getAttribute('input[name="csrf_token"]', 'value');
  if (!token) {
    throw new Error(`no csrf_token input on ${page.url()}`);
  }
  return page.request.post(path, {
    form: { csrf_token: token, ...fields },
    maxRedirects: 0,
  });
}

/** Starts recording the peers of the new_message notifications this page receives. */
export async function recordNewMessages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as {
      microblogNotifications: NotificationsState;
    } & Recorder;
    const handlers = w.microblogNotifications.handlers;
    const previous = handlers.new_message;
    w.recorded = [];
    handlers.new_message = (data, n) => {
      w.recorded?.push((data as { peer: string }).peer);
      previous?.(data, n);
    };
  });
}

/** Waits for a new_message from `peer`, then gives every peer recorded so far. */
export async function recordedUntil(page: Page, peer: string): Promise<string[]> {
  await page.waitForFunction((want) => ((window as Recorder).recorded ?? []).includes(want), peer, {
    timeout: LIVE_MS,
  });
  return page.evaluate(() => (window as Recorder).recorded ?? []);
}

/** Describes the focused element: a link's path, a field's id, a button's text. */
function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) {
      return 'body';
    }
    if (el instanceof HTMLAnchorElement) {
      return `a ${el.getAttribute('href')}`;
    }
    if (el.id) {
      return `${el.tagName.toLowerCase()}#${el.id}`;
    }
    return `${el.tagName.toLowerCase()} ${(el.textContent ?? '').trim()}`;
  });
}

/**
 * Presses Tab (only Tab) until the focused element matches `selector`; fails after `max`
 * presses, naming what focus went through.
 */
export async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
  const path: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      return;
    }
    path.push(await describeFocus(page));
  }
  throw new Error(`Tab never reached ${selector}; focus went through: ${path.join(' > ')}`);
}

/** What focus visits, Tab after Tab, from where it is now until it leaves the page. */
export async function tabOrder(page: Page, max = 60): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await describeFocus(page);
    if (focused === 'body' && seen.length > 0) {
      break;
    }
    seen.push(focused);
  }
  return seen;
}

/** How wide the page is against the window: wider means a horizontal scroll bar. */
export function pageWidth(page: Page): Promise<{ scrollWidth: number; viewport: number }> {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Marks the document now shown, so a test can tell later whether the page was reloaded. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as { documentMark?: boolean }).documentMark = true;
  });
}

/** Whether the document marked by markDocument is still the one shown (no reload). */
export function sameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as { documentMark?: boolean }).documentMark === true);
}
