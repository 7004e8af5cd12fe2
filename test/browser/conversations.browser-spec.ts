import { Page } from 'playwright-core';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { visibleBadge, waitForBadge } from './browser';
import {
  badgeDetails,
  gotoLive,
  landAfter,
  LIVE_MS,
  markDocument,
  openLive,
  pageWidth,
  PHONE,
  postForm,
  recordedUntil,
  recordNewMessages,
  replyInThread,
  sameDocument,
  seedMessages,
  threadBodies,
  threadItem,
  useConversationWorld,
  waitForThreadMessage,
} from './conversation-helpers';

describe('Conversations, live, in a real browser', () => {
  const w = useConversationWorld();

  /** A page of alice's with her thread with bob open (not waiting for live updates). */
  const openAliceThread = async (): Promise<Page> => {
    const page = await w.alice.context.newPage();
    await page.goto('/conversations/bob');
    return page;
  };

  describe('a message sent from the reply form', () => {
    it("should appear in the other person's open thread within 2 s, announced, without reload", async () => {
      const bobThread = await openLive(w.bob, '/conversations/alice');
      await markDocument(bobThread);
      const aliceThread = await openAliceThread();

      await replyInThread(aliceThread, 'Hello Bob');
      expect(aliceThread.url()).toBe(`${w.t.baseUrl}/conversations/bob`);
      expect(await threadBodies(aliceThread)).toEqual(['Hello Bob']);

      await waitForThreadMessage(bobThread, 'Hello Bob', LIVE_MS);
      await expect(
        threadItem(bobThread, 'Hello Bob').getAttribute('data-mine'),
      ).resolves.toBeNull();
      expect(await bobThread.textContent('#thread-announcer')).toBe(
        'New message from alice: Hello Bob',
      );
      expect(await bobThread.getAttribute('#thread-announcer', 'aria-live')).toBe('polite');
      expect(await bobThread.$('#thread-empty')).toBeNull();
      expect(await sameDocument(bobThread)).toBe(true);
    });

    it('should still be accepted after the browser met a 404 (favicon.ico, a broken link)', async () => {
      const aliceThread = await openAliceThread();
      // Chromium asks for /favicon.ico by itself once a page has loaded; a person may follow a
      // broken link in another tab. Neither may spoil the form already on screen.
      await aliceThread.request.get('/favicon.ico');
      expect((await aliceThread.request.get('/no-such-page')).status()).toBe(404);

      await replyInThread(aliceThread, 'still accepted');
      expect(await threadBodies(aliceThread)).toEqual(['still accepted']);
    });

    it('should keep its line breaks when it arrives live', async () => {
      const bobThread = await openLive(w.bob, '/conversations/alice');
      const aliceThread = await openAliceThread();

      await replyInThread(aliceThread, 'line one\nline two');
      const body = threadItem(bobThread, 'line one\nline two').locator('.message-body');
      await body.waitFor({ timeout: LIVE_MS });

      expect(await body.innerText()).toBe('line one\nline two');
      const { height, lineHeight } = await body.evaluate((el) => ({
        height: el.getBoundingClientRect().height,
        lineHeight: parseFloat(getComputedStyle(el).lineHeight),
      }));
      expect(height).toBeGreaterThanOrEqual(2 * lineHeight - 1);
      expect(height).toBeLessThan(3 * lineHeight);
    });

    it('should not widen a 375 px page with a 140-character word', async () => {
      const longWord = 'W'.repeat(140);
      const bobThread = await w.bob.context.newPage();
      await bobThread.setViewportSize(PHONE);
      await gotoLive(bobThread, '/conversations/alice');
      const aliceThread = await openAliceThread();

      await replyInThread(aliceThread, longWord);
      await waitForThreadMessage(bobThread, longWord, LIVE_MS);

      expect(await pageWidth(bobThread)).toEqual({
        scrollWidth: PHONE.width,
        viewport: PHONE.width,
      });
    });
  });

  describe('the unread badge', () => {
    it('should drop by exactly one conversation in another tab when that conversation is opened', async () => {
      await seedMessages(w.t, w.alice, w.bob, ['a1', 'a2', 'a3']);
      await seedMessages(w.t, w.carol, w.bob, ['c1', 'c2']);
      const home = await openLive(w.bob, '/');
      await markDocument(home);
      expect(await visibleBadge(home)).toBe('5');

      const reader = await w.bob.context.newPage();
      await reader.goto('/conversations/alice');
      expect(await visibleBadge(reader)).toBe('2');
      await waitForBadge(home, '2');
      expect(await badgeDetails(home)).toEqual({ count: '2', status: '2 unread messages' });

      await reader.goto('/conversations/carol');
      expect(await visibleBadge(reader)).toBeNull();
      await waitForBadge(home, null);
      expect(await badgeDetails(home)).toEqual({ count: '0', status: 'No unread messages' });
      expect(await sameDocument(home)).toBe(true);
    });

    it('should not keep counting messages that arrive in the open thread', async () => {
      await seedMessages(w.t, w.carol, w.bob, ['c1', 'c2']);
      await seedMessages(w.t, w.alice, w.bob, ['before']);
      const home = await openLive(w.bob, '/');
      const bobThread = await openLive(w.bob, '/conversations/alice');
      expect(await visibleBadge(bobThread)).toBe('2');

      await seedMessages(w.t, w.alice, w.bob, ['while open 1', 'while open 2']);
      await waitForThreadMessage(bobThread, 'while open 2');
      await waitForBadge(bobThread, '2');
      await waitForBadge(home, '2');
      expect(await threadBodies(bobThread)).toEqual(['before', 'while open 1', 'while open 2']);
    });

    it('should go back to hidden when the open thread is the only unread one', async () => {
      const bobThread = await openLive(w.bob, '/conversations/alice');
      const home = await openLive(w.bob, '/');

      await seedMessages(w.t, w.alice, w.bob, ['only this']);
      await waitForThreadMessage(bobThread, 'only this');
      await waitForBadge(bobThread, null);
      await waitForBadge(home, null);
      await home.reload();
      expect(await visibleBadge(home)).toBeNull();
    });
  });

  describe('deleting a message', () => {
    /** Alice clicks the delete button of her message `text` in her thread with bob. */
    const aliceDeletes = async (text: string) => {
      const aliceThread = await openAliceThread();
      const item = threadItem(aliceThread, text);
      await expect(item.getAttribute('data-mine')).resolves.toBe('true');
      const id = await item.getAttribute('data-message-id');
      await landAfter(aliceThread, () =>
        item.locator(`form[action="/messages/${id}/delete"] button[type="submit"]`).click(),
      );
      expect(await threadBodies(aliceThread)).not.toContain(text);
      return Number(id);
    };

    it("should take an unread message off the recipient's badge live", async () => {
      await seedMessages(w.t, w.alice, w.bob, ['first', 'second']);
      const home = await openLive(w.bob, '/');
      await markDocument(home);
      expect(await visibleBadge(home)).toBe('2');

      await aliceDeletes('second');
      await waitForBadge(home, '1');
      expect(await badgeDetails(home)).toEqual({ count: '1', status: '1 unread message' });
      expect(await sameDocument(home)).toBe(true);
    });

    it("should remove the message from the recipient's open thread live", async () => {
      await seedMessages(w.t, w.alice, w.bob, ['keep', 'take back']);
      const bobThread = await openLive(w.bob, '/conversations/alice');
      await markDocument(bobThread);
      expect(await threadBodies(bobThread)).toEqual(['keep', 'take back']);

      const id = await aliceDeletes('take back');
      await bobThread.waitForSelector(`#thread li[data-message-id="${id}"]`, {
        state: 'detached',
        timeout: LIVE_MS,
      });
      expect(await threadBodies(bobThread)).toEqual(['keep']);
      expect(await sameDocument(bobThread)).toBe(true);
    });
  });

  describe('blocking', () => {
    it("should drop the blocked user's unread messages from the badge live and refuse their sends", async () => {
      await seedMessages(w.t, w.alice, w.bob, ['a1', 'a2', 'a3']);
      await seedMessages(w.t, w.carol, w.bob, ['c1']);
      const aliceThread = await openAliceThread();
      const home = await openLive(w.bob, '/');
      expect(await visibleBadge(home)).toBe('4');
      await recordNewMessages(home);

      const settings = await w.bob.context.newPage();
      await settings.goto('/user/alice');
      const blocked = await postForm(settings, '/user/alice/block');
      expect(blocked.status()).toBe(302);
      await waitForBadge(home, '1');

      // Alice's page was open before the block: its form is still there, the send is refused.
      await aliceThread.fill('#reply-form textarea#message', 'after the block');
      const refused = await landAfter(aliceThread, () =>
        aliceThread.click('#reply-form button[type="submit"]'),
      );
      expect(refused?.status()).toBe(403);
      expect(await aliceThread.textContent('main')).toContain(
        "You can't send messages to this user.",
      );
      await aliceThread.goto('/conversations/bob');
      expect(await aliceThread.textContent('#cannot-reply')).toContain(
        "You can't send messages to this user.",
      );
      expect(await aliceThread.$('#reply-form')).toBeNull();

      // Nothing reached bob: carol's message, sent after, arrives alone.
      await seedMessages(w.t, w.carol, w.bob, ['after alice tried']);
      expect(await recordedUntil(home, 'carol')).toEqual(['carol']);
      await waitForBadge(home, '2');
      await expect(
        w.t.dataSource.getRepository(Message).countBy({ body: 'after the block' }),
      ).resolves.toBe(0);
    });
  });

  describe('the conversation list', () => {
    it('should follow new messages, deletions and reads live, keeping focus, without reload', async () => {
      await seedMessages(w.t, w.bob, w.alice, ['hello']);
      const list = await openLive(w.alice, '/conversations');
      await markDocument(list);
      const row = (peer: string) => list.locator(`#conversations li[data-peer="${peer}"]`);
      await list.focus('#conversations li[data-peer="bob"] a');

      const [, later] = await seedMessages(w.t, w.carol, w.alice, ['first', 'second']);
      await row('carol').locator('.conversation-unread-count').waitFor({ timeout: LIVE_MS });
      await expect(row('carol').locator('.conversation-snippet').textContent()).resolves.toBe(
        'second',
      );
      // Newest activity first, and the focused link is the same conversation's.
      await expect(
        list.$$eval('#conversations li', (rows) => rows.map((r) => r.dataset.peer)),
      ).resolves.toEqual(['carol', 'bob']);
      expect(await list.evaluate(() => document.activeElement?.getAttribute('href'))).toBe(
        '/conversations/bob',
      );

      await w.t.app.get(MessagesService).remove(later.id);
      await row('carol')
        .locator('.conversation-snippet', { hasText: /^first$/ })
        .waitFor({ timeout: LIVE_MS });

      // Read in another tab: the row's count goes.
      const thread = await openLive(w.alice, '/conversations/carol');
      await thread.close();
      await row('carol')
        .locator('.conversation-unread-count')
        .waitFor({ state: 'detached', timeout: LIVE_MS });
      expect(await sameDocument(list)).toBe(true);
    });
  });

  describe('read receipts', () => {
    it("should show Seen under the sender's last message when the recipient opens the conversation", async () => {
      await seedMessages(w.t, w.alice, w.bob, ['one', 'two']);
      const aliceThread = await openLive(w.alice, '/conversations/bob');
      await markDocument(aliceThread);
      expect(await aliceThread.$('.message-seen')).toBeNull();

      const bobThread = await openLive(w.bob, '/conversations/alice');
      await aliceThread.waitForSelector('#thread li[data-mine]:last-child .message-seen', {
        timeout: LIVE_MS,
      });
      expect(await aliceThread.$$eval('.message-seen', (seen) => seen.length)).toBe(1);
      expect(await threadItem(aliceThread, 'two').locator('.message-seen').textContent()).toBe(
        'Seen',
      );
      expect(await sameDocument(aliceThread)).toBe(true);

      // Bob keeps the thread open: a new message is seen as it arrives there.
      await replyInThread(aliceThread, 'three');
      await waitForThreadMessage(bobThread, 'three');
      await threadItem(aliceThread, 'three').locator('.message-seen').waitFor({ timeout: LIVE_MS });
      expect(await aliceThread.$$eval('.message-seen', (seen) => seen.length)).toBe(1);
    });
  });
});
