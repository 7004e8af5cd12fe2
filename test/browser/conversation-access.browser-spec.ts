import { Page } from 'playwright-core';
import { USERNAME_MAX } from '../../src/users/username';
import { createUser } from '../factories/user.factory';
import { loggedInContext, visibleBadge } from './browser';
import {
  landAfter,
  pageWidth,
  Person,
  PHONE,
  seedMessages,
  tabOrder,
  tabTo,
  threadBodies,
  useConversationWorld,
} from './conversation-helpers';

const isFocused = (page: Page, selector: string) =>
  page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);

describe('Conversations by keyboard and on a phone', () => {
  const w = useConversationWorld();

  describe('keyboard only', () => {
    /** Tab to the textarea, type, Tab to Send, Enter: no clicks, no focus() calls. */
    const sendByKeyboard = async (page: Page, formSelector: string, text: string) => {
      await tabTo(page, `${formSelector} textarea[name="message"]`);
      await page.keyboard.type(text);
      await page.keyboard.press('Tab');
      expect(await isFocused(page, `${formSelector} button[type="submit"]`)).toBe(true);
      return landAfter(page, () => page.keyboard.press('Enter'));
    };

    it("should send a reply from a thread's reply form", async () => {
      await seedMessages(w.t, w.alice, w.bob, ['Hi Bob']);
      await seedMessages(w.t, w.bob, w.alice, ['Hi Alice']);
      const page = await w.bob.context.newPage();
      await page.goto('/conversations/alice');

      const landed = await sendByKeyboard(page, '#reply-form', 'Typed without a mouse');
      expect(landed?.status()).toBe(200);
      expect(page.url()).toBe(`${w.t.baseUrl}/conversations/alice`);
      expect(await threadBodies(page)).toEqual(['Hi Bob', 'Hi Alice', 'Typed without a mouse']);
    });

    it('should send a message from the send form and land in the conversation', async () => {
      const page = await w.bob.context.newPage();
      await page.goto('/send_message/alice');

      const landed = await sendByKeyboard(
        page,
        'form[action="/send_message/alice"]',
        'Sent by keyboard',
      );
      expect(landed?.status()).toBe(200);
      expect(page.url()).toBe(`${w.t.baseUrl}/conversations/alice`);
      expect(await threadBodies(page)).toEqual(['Sent by keyboard']);
    });

    it('should open Messages from the navbar and reach every conversation with Tab', async () => {
      await seedMessages(w.t, w.alice, w.bob, ['from alice']);
      await seedMessages(w.t, w.carol, w.bob, ['from carol']);
      const page = await w.bob.context.newPage();
      await page.goto('/');

      await tabTo(page, '#messages-link');
      expect(await page.getAttribute('#messages-link', 'href')).toBe('/conversations');
      await landAfter(page, () => page.keyboard.press('Enter'));
      expect(page.url()).toBe(`${w.t.baseUrl}/conversations`);

      const order = await tabOrder(page);
      expect(order).toEqual(
        expect.arrayContaining(['a /conversations/alice', 'a /conversations/carol']),
      );
      // Newest activity first, as the list shows them.
      expect(order.indexOf('a /conversations/carol')).toBeLessThan(
        order.indexOf('a /conversations/alice'),
      );
    });
  });

  describe('on a 375 x 700 phone', () => {
    const openOnPhone = async (person: Person, path: string) => {
      const page = await person.context.newPage();
      await page.setViewportSize(PHONE);
      await page.goto(path);
      return page;
    };

    /** Every page as wide as the phone, no wider: all of them checked, then compared. */
    const expectNoSidewaysScroll = async (person: Person, paths: string[]) => {
      const widths = [];
      for (const path of paths) {
        const page = await openOnPhone(person, path);
        widths.push({ path, ...(await pageWidth(page)) });
        await page.close();
      }
      expect(widths).toEqual(
        paths.map((path) => ({ path, scrollWidth: PHONE.width, viewport: PHONE.width })),
      );
    };

    it('should show the badge with its count without opening the menu', async () => {
      await seedMessages(w.t, w.alice, w.bob, ['one', 'two', 'three']);
      const page = await openOnPhone(w.bob, '/');

      expect(await page.isVisible('.navbar-toggler')).toBe(true);
      expect(await page.isVisible('#main-nav')).toBe(false);
      expect(await visibleBadge(page)).toBe('3');
      const box = await page.locator('#message_count').boundingBox();
      expect(box).not.toBeNull();
      const { x, y, width, height } = box!;
      expect(width).toBeGreaterThan(0);
      expect(height).toBeGreaterThan(0);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + width).toBeLessThanOrEqual(PHONE.width);
      expect(y + height).toBeLessThanOrEqual(PHONE.height);
      // Nothing drawn over it.
      const onTop = await page.evaluate(
        ([cx, cy]) => document.elementFromPoint(cx, cy)?.closest('#message_count') !== null,
        [x + width / 2, y + height / 2],
      );
      expect(onTop).toBe(true);
    });

    it('should not scroll sideways on the conversation list or in a thread', async () => {
      await seedMessages(w.t, w.alice, w.bob, ['W'.repeat(140), 'line one\nline two']);
      await seedMessages(w.t, w.carol, w.bob, ['x'.repeat(140)]);
      await seedMessages(w.t, w.bob, w.alice, ['M'.repeat(140)]);

      await expectNoSidewaysScroll(w.bob, [
        '/conversations',
        '/conversations/alice',
        '/conversations/carol',
      ]);
    });

    it('should not scroll sideways with a peer whose name is as long as names get', async () => {
      const longName = 'n'.repeat(USERNAME_MAX);
      const user = await createUser(w.t.app, longName);
      const peer = { user, context: await loggedInContext(w.browser, w.t, user) };
      try {
        await seedMessages(w.t, peer, w.bob, ['hello from a long name']);
        await expectNoSidewaysScroll(w.bob, ['/conversations', `/conversations/${longName}`]);
      } finally {
        await peer.context.close();
      }
    });
  });
});
