import { Page, Response } from 'playwright-core';
import { FollowsService } from '../../src/follows/follows.service';
import { MessagesService } from '../../src/messages/messages.service';
import { PostFanoutService } from '../../src/posts/post-fanout.service';
import { Post } from '../../src/posts/post.entity';
import { PostsService } from '../../src/posts/posts.service';
import { User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import {
  gotoLive,
  landAfter,
  markDocument,
  openLive,
  Person,
  sameDocument,
  tabTo,
  useConversationWorld,
} from './conversation-helpers';

/** A phone held upright (iPhone SE): 375 × 667. */
const PHONE = { width: 375, height: 667 };

/**
 * How long to wait for something live before failing. Generous: the machines these run on are
 * shared and busy; the tests assert what arrives and in what order, not how fast.
 */
const LIVE_MS = 10_000;
/** Per test: several pages, two or three users, a few round trips each. */
const TEST_MS = 120_000;

type NotificationsState = { role: string | null; live: boolean };

const role = (page: Page) =>
  page.evaluate(
    () =>
      (window as { microblogNotifications?: NotificationsState }).microblogNotifications?.role ??
      null,
  );

/** Ids of the posts the timeline shows, top to bottom. */
const postIds = (page: Page) =>
  page.$$eval('#posts > li.post', (items) =>
    items.map((item) => Number((item as HTMLElement).dataset.postId)),
  );

/** The "Show N new posts" button as a person sees it: its text, or null while hidden. */
const newPostsButton = (page: Page) =>
  page.$eval('#new-posts', (button) =>
    (button as HTMLButtonElement).hidden || (button as HTMLElement).offsetParent === null
      ? null
      : button.textContent,
  );

async function waitForNewPostsButton(page: Page, text: string | null, timeout = LIVE_MS) {
  await page
    .waitForFunction(
      (want) => {
        const button = document.getElementById('new-posts');
        if (!button) {
          return false;
        }
        return (button.hidden ? null : button.textContent) === want;
      },
      text,
      { timeout },
    )
    .catch(async () => {
      throw new Error(
        `the new-posts button never showed ${JSON.stringify(text)}; it shows ` +
          `${JSON.stringify(await newPostsButton(page))} on ${page.url()}`,
      );
    });
}

/** The bell as a person and a screen reader get it. */
const bell = (page: Page) =>
  page.evaluate(() => {
    const badge = document.getElementById('notification_count');
    return {
      text: badge?.textContent ?? null,
      count: badge?.getAttribute('data-count') ?? null,
      visible: badge ? getComputedStyle(badge).visibility !== 'hidden' : false,
      status: document.getElementById('notification_count_status')?.textContent ?? null,
      title: document.title,
    };
  });

async function waitForBellCount(page: Page, count: number, timeout = LIVE_MS) {
  await page
    .waitForFunction(
      (want) => document.getElementById('notification_count')?.getAttribute('data-count') === want,
      String(count),
      { timeout },
    )
    .catch(async () => {
      throw new Error(
        `the bell never counted ${count} on ${page.url()}: ${JSON.stringify(await bell(page))}`,
      );
    });
}

/** The stream request of a leader tab that watches `topic` (?watch=a,b), once it answered. */
const streamWatching = (topic: string) => (response: Response) => {
  const url = new URL(response.url());
  return (
    url.pathname === '/notifications/stream' &&
    (url.searchParams.get('watch') ?? '').split(',').includes(topic)
  );
};

/** Whether a person sees the element: laid out, not visibility:hidden, inside the viewport. */
const onScreen = (page: Page, selector: string) =>
  page.$eval(selector, (el) => {
    const box = el.getBoundingClientRect();
    return (
      getComputedStyle(el).visibility !== 'hidden' &&
      box.width > 1 &&
      box.height > 1 &&
      box.left >= 0 &&
      box.top >= 0 &&
      box.right <= window.innerWidth &&
      box.bottom <= window.innerHeight
    );
  });

/**
 * Tasks queued by the page before now have run: two animation frames are later than any
 * microtask or promise callback of what the last key press started (a marker, not a delay).
 */
const afterPendingWork = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<void>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve())),
      ),
  );

const focusedPostId = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el?.matches('li.post')
      ? Number(el.dataset.postId)
      : `not a post: ${el?.outerHTML.slice(0, 80)}`;
  });

describe('Microblog in a real browser', () => {
  const w = useConversationWorld();

  const follow = (follower: Person, followed: Person) =>
    w.t.app.get(FollowsService).follow(follower.user, followed.user);

  /** A post written before the test looks, delivered to every follower's timeline. */
  const seedPost = async (author: Person, body: string): Promise<Post> => {
    const post = await w.t.app.get(PostsService).create(author.user, body);
    await w.t.app.get(PostFanoutService).deliver(post.id);
    return post;
  };

  const newestPostOf = async (author: Person): Promise<Post> =>
    w.t.dataSource
      .getRepository(Post)
      .findOneOrFail({ where: { authorId: author.user.id }, order: { id: 'DESC' } });

  /** Writes a post the way a person does on their home page: typed, then the Post button. */
  const postThroughForm = async (page: Page, text: string) => {
    await page.fill('form[action="/posts"] textarea#post', text);
    const landed = await landAfter(page, () =>
      page.click('form[action="/posts"] button[type="submit"]'),
    );
    expect(landed?.status()).toBe(200);
    expect(await page.textContent('.alert-success')).toContain('Your post is now live!');
  };

  it(
    'should gather followed posts behind "Show N new posts" on home, then show them newest first with focus on the newest',
    async () => {
      await follow(w.bob, w.alice);
      const older: Post[] = [];
      for (let i = 1; i <= 20; i++) {
        older.push(await seedPost(w.alice, `older post ${i}`));
      }

      const bobHome = await openLive(w.bob, '/');
      expect(await newPostsButton(bobHome)).toBeNull();
      expect(await postIds(bobHome)).toHaveLength(20);
      // Bob reads a post in the middle of his timeline: it must stay where his eyes are.
      const reading = `li.post[data-post-id="${older[9].id}"]`;
      await bobHome.$eval(reading, (el) =>
        el.scrollIntoView({ block: 'center', behavior: 'instant' }),
      );
      const readingTop = () => bobHome.$eval(reading, (el) => el.getBoundingClientRect().top);
      const topBefore = await readingTop();
      expect(await bobHome.evaluate(() => window.scrollY)).toBeGreaterThan(0);
      await markDocument(bobHome);

      const aliceHome = await openLive(w.alice, '/');
      const aliceOtherTab = await openLive(w.alice, '/');

      await postThroughForm(aliceHome, 'first live post');
      const first = await newestPostOf(w.alice);
      // Her own post: on top of the page the form came back to, and at once in her other tab.
      expect((await postIds(aliceHome))[0]).toBe(first.id);
      expect(await aliceHome.textContent(`li.post[data-post-id="${first.id}"] .post-body`)).toBe(
        'first live post',
      );
      await aliceOtherTab.waitForFunction(
        (id) => document.querySelector('#posts > li.post')?.getAttribute('data-post-id') === id,
        String(first.id),
        { timeout: LIVE_MS },
      );
      expect(await newPostsButton(aliceOtherTab)).toBeNull();

      await waitForNewPostsButton(bobHome, 'Show 1 new post');
      expect(await postIds(bobHome)).toHaveLength(20);
      expect(await readingTop()).toBeCloseTo(topBefore, 0);

      await postThroughForm(aliceHome, 'second live post');
      const second = await newestPostOf(w.alice);
      await waitForNewPostsButton(bobHome, 'Show 2 new posts');
      expect(await postIds(bobHome)).toHaveLength(20);
      expect(await readingTop()).toBeCloseTo(topBefore, 0);
      expect(await sameDocument(bobHome)).toBe(true);

      // With the keyboard: Tab to the button, Enter.
      await tabTo(bobHome, '#new-posts');
      await bobHome.keyboard.press('Enter');
      await bobHome.waitForFunction(
        (id) => (document.activeElement as HTMLElement | null)?.dataset.postId === id,
        String(second.id),
        { timeout: LIVE_MS },
      );
      expect(await focusedPostId(bobHome)).toBe(second.id);
      expect((await postIds(bobHome)).slice(0, 3)).toEqual([second.id, first.id, older[19].id]);
      expect(await bobHome.textContent(`li.post[data-post-id="${second.id}"] .post-body`)).toBe(
        'second live post',
      );
      expect(await newPostsButton(bobHome)).toBeNull();
      expect(await bobHome.textContent('#new-posts-status')).toBe('2 new posts shown');
      expect(await bobHome.getAttribute('#new-posts-status', 'aria-live')).toBe('polite');
      expect(await sameDocument(bobHome)).toBe(true);
    },
    TEST_MS,
  );

  it(
    'should show new posts by others on explore and a profile, also in tabs that do not hold the stream',
    async () => {
      // Carol: explore is her only tab, so it holds the stream itself.
      const carolExplore = await openLive(w.carol, '/explore');
      expect(await role(carolExplore)).toBe('leader');

      // Bob: home holds the stream; explore and alice's profile open later, as followers.
      const bobHome = await openLive(w.bob, '/');
      expect(await role(bobHome)).toBe('leader');
      const exploreWatched = bobHome.waitForResponse(streamWatching('explore'), {
        timeout: LIVE_MS,
      });
      const bobExplore = await openLive(w.bob, '/explore');
      expect(await role(bobExplore)).toBe('follower');
      await exploreWatched.catch(() => {
        throw new Error("the leader tab never reopened its stream with the explore tab's topic");
      });
      const profileTopic = `user:${w.alice.user.id}`;
      const profileWatched = bobHome.waitForResponse(streamWatching(profileTopic), {
        timeout: LIVE_MS,
      });
      const bobProfile = await openLive(w.bob, '/user/alice');
      expect(await role(bobProfile)).toBe('follower');
      await profileWatched.catch(() => {
        throw new Error(`the leader tab never reopened its stream with ${profileTopic}`);
      });
      for (const page of [carolExplore, bobExplore, bobProfile]) {
        await markDocument(page);
      }

      const first = await seedPost(w.alice, 'hello explore');
      for (const page of [carolExplore, bobExplore, bobProfile]) {
        await waitForNewPostsButton(page, 'Show 1 new post');
        expect(await postIds(page)).toEqual([]);
      }
      const second = await seedPost(w.alice, 'hello again');
      for (const page of [carolExplore, bobExplore, bobProfile]) {
        await waitForNewPostsButton(page, 'Show 2 new posts');
        expect(await sameDocument(page)).toBe(true);
      }

      for (const page of [bobExplore, bobProfile]) {
        await page.focus('#new-posts');
        await page.keyboard.press('Enter');
        await page.waitForFunction(
          (id) => (document.activeElement as HTMLElement | null)?.dataset.postId === id,
          String(second.id),
          { timeout: LIVE_MS },
        );
        expect(await postIds(page)).toEqual([second.id, first.id]);
        expect(await page.$('#no-posts')).toBeNull();
        expect(await page.textContent('#new-posts-status')).toBe('2 new posts shown');
      }
    },
    TEST_MS,
  );

  it(
    'should keep explore live in a follower tab that visited profiles before',
    async () => {
      // Bob browses in a second tab: two profiles, then explore. Only explore is open now.
      const bobHome = await openLive(w.bob, '/');
      const browsing = await openLive(w.bob, '/user/alice');
      await gotoLive(browsing, '/user/carol');
      const exploreWatched = bobHome.waitForResponse(streamWatching('explore'), {
        timeout: LIVE_MS,
      });
      await gotoLive(browsing, '/explore');
      const stream = await exploreWatched.catch(() => {
        throw new Error("the leader tab never reopened its stream with the explore tab's topic");
      });
      const watched = new URL(stream.url()).searchParams.get('watch');

      // By someone whose profile was not visited: only the explore topic carries it.
      const dave = await createUser(w.t.app, 'dave');
      await w.t.app.get(PostsService).create(dave, 'is anyone on explore?');
      await waitForNewPostsButton(browsing, 'Show 1 new post').catch((error: Error) => {
        throw new Error(`${error.message}; the leader's stream watches ${watched}`);
      });
    },
    TEST_MS,
  );

  it(
    'should remove a deleted post from open timelines without reload',
    async () => {
      await follow(w.bob, w.alice);
      const kept = await seedPost(w.alice, 'this one stays');
      const doomed = await seedPost(w.alice, 'this one goes');

      const bobHome = await openLive(w.bob, '/');
      const exploreWatched = bobHome.waitForResponse(streamWatching('explore'), {
        timeout: LIVE_MS,
      });
      const bobExplore = await openLive(w.bob, '/explore');
      await exploreWatched;
      for (const page of [bobHome, bobExplore]) {
        expect(await postIds(page)).toEqual([doomed.id, kept.id]);
        await markDocument(page);
      }

      // Alice deletes it with the Delete button of her profile.
      const aliceProfile = await w.alice.context.newPage();
      await aliceProfile.goto('/user/alice');
      const landed = await landAfter(aliceProfile, () =>
        aliceProfile.click(`li.post[data-post-id="${doomed.id}"] form[action$="/delete"] button`),
      );
      expect(landed?.status()).toBe(200);
      expect(await aliceProfile.textContent('.alert-success')).toContain(
        'Your post has been deleted.',
      );
      expect(await postIds(aliceProfile)).toEqual([kept.id]);

      for (const page of [bobHome, bobExplore]) {
        await page.waitForFunction(
          (id) => !document.querySelector(`li.post[data-post-id="${id}"]`),
          doomed.id,
          { timeout: LIVE_MS },
        );
        expect(await postIds(page)).toEqual([kept.id]);
        expect(await sameDocument(page)).toBe(true);
      }

      // A post still waiting behind the button leaves the count when it is deleted.
      const brief = await seedPost(w.alice, 'here and gone');
      for (const page of [bobHome, bobExplore]) {
        await waitForNewPostsButton(page, 'Show 1 new post');
      }
      await w.t.app.get(PostsService).removeOwn(w.alice.user, brief.id);
      for (const page of [bobHome, bobExplore]) {
        await waitForNewPostsButton(page, null);
        expect(await postIds(page)).toEqual([kept.id]);
      }
    },
    TEST_MS,
  );

  it(
    'should ring the bell in every tab, clear it everywhere from the center, and show 99+ above 99',
    async () => {
      const home = await openLive(w.bob, '/');
      const other = await openLive(w.bob, '/explore');
      expect(await bell(home)).toEqual({
        text: '0',
        count: '0',
        visible: false,
        status: 'No new notifications',
        title: 'Home - Microblog',
      });

      await follow(w.carol, w.bob);
      await waitForBellCount(home, 1);
      await waitForBellCount(other, 1);
      expect(await bell(home)).toEqual({
        text: '1',
        count: '1',
        visible: true,
        status: '1 new notification',
        title: '(1) Home - Microblog',
      });
      expect(await bell(other)).toEqual({
        text: '1',
        count: '1',
        visible: true,
        status: '1 new notification',
        title: '(1) Explore - Microblog',
      });
      expect(await home.getAttribute('#notification_count_status', 'aria-live')).toBe('polite');
      expect(await home.getAttribute('#notification_count', 'aria-hidden')).toBe('true');

      // Opening the center in one tab clears the bell in the other.
      await gotoLive(other, '/notifications/center');
      expect(await bell(other)).toMatchObject({ count: '0', visible: false });
      expect(await other.title()).toBe('Notifications - Microblog');
      const line = other.locator('#notification-groups li.notification').first();
      expect((await line.textContent())?.replace(/\s+/g, ' ')).toContain('New carol followed you');
      await waitForBellCount(home, 0);
      expect(await bell(home)).toEqual({
        text: '0',
        count: '0',
        visible: false,
        status: 'No new notifications',
        title: 'Home - Microblog',
      });

      // The center, open, takes a new notification in live and keeps the bell at 0.
      await seedPost(w.alice, '@bob look at this');
      await other.waitForFunction(
        () => document.querySelectorAll('#notification-groups li.notification').length === 2,
        undefined,
        { timeout: LIVE_MS },
      );
      expect(
        (
          await other.locator('#notification-groups li.notification').first().textContent()
        )?.replace(/\s+/g, ' '),
      ).toContain('New alice mentioned you');
      await waitForBellCount(home, 0);

      // 99+: far more than the badge shows; the exact number stays in data-count and for readers.
      // The column is set high, then one more notification puts the count in bob's event log
      // (the state a stream starts with comes from the log, not from the column).
      await gotoLive(other, '/explore');
      await w.t.dataSource
        .getRepository(User)
        .update({ id: w.bob.user.id }, { unseenNotifications: 149 });
      await follow(w.alice, w.bob);
      await gotoLive(home, '/');
      await gotoLive(other, '/explore');
      expect(await bell(home)).toEqual({
        text: '99+',
        count: '150',
        visible: true,
        status: '150 new notifications',
        title: '(99+) Home - Microblog',
      });
      await seedPost(w.carol, 'hey @bob, again');
      for (const page of [home, other]) {
        await waitForBellCount(page, 151);
        expect(await bell(page)).toMatchObject({
          text: '99+',
          count: '151',
          visible: true,
          status: '151 new notifications',
        });
      }
      expect(await home.title()).toBe('(99+) Home - Microblog');
      expect(await other.title()).toBe('(99+) Explore - Microblog');
    },
    TEST_MS,
  );

  it(
    'should open a profile card from a username with the keyboard, follow from it, close it with Escape on the link, and open it on hover',
    async () => {
      const post = await seedPost(w.carol, 'a post by carol');
      const page = await w.bob.context.newPage();
      await page.goto('/explore');
      const link = `#post-${post.id}-author`;
      const card = `${link} + .profile-card`;

      await tabTo(page, link);
      await page.waitForSelector(card, { timeout: LIVE_MS });
      const cardId = await page.getAttribute(card, 'id');
      expect(await page.getAttribute(link, 'aria-expanded')).toBe('true');
      expect(await page.getAttribute(link, 'aria-describedby')).toBe(cardId);
      expect(await page.getAttribute(card, 'role')).toBe('group');
      expect(await page.textContent(`${card} .follow-counts`)).toContain('1 post');

      // Tab moves through the card (it follows the link) to its Follow button.
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('Tab');
        const where = await page.evaluate(
          (selector) => document.querySelector(selector)?.contains(document.activeElement) ?? false,
          card,
        );
        expect(where).toBe(true);
        if (await page.evaluate(() => document.activeElement?.matches('button[type="submit"]'))) {
          break;
        }
      }
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
        'Follow carol',
      );
      const landed = await landAfter(page, () => page.keyboard.press('Enter'));
      expect(landed?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/explore');
      expect(await page.textContent('.alert-success')).toContain('You are following carol.');
      await expect(w.t.app.get(FollowsService).isFollowing(w.bob.user, w.carol.user)).resolves.toBe(
        true,
      );

      // Back on the page: the card now offers Unfollow.
      await tabTo(page, link);
      await page.waitForSelector(`${card} button[aria-label="Unfollow carol"]`, {
        timeout: LIVE_MS,
      });

      // Escape on the link closes the card; focus stays on the link.
      await page.keyboard.press('Escape');
      await afterPendingWork(page);
      expect(await page.$$('.profile-card')).toHaveLength(0);
      expect(await page.evaluate((s) => document.activeElement?.matches(s), link)).toBe(true);
      expect(await page.getAttribute(link, 'aria-expanded')).toBe('false');
      expect(await page.getAttribute(link, 'aria-describedby')).toBeNull();

      // The mouse: hovering the name opens it, leaving it closes it.
      await page.goto('/explore');
      await page.hover(link);
      await page.waitForSelector(card, { timeout: LIVE_MS });
      await page.mouse.move(0, 0);
      await page.waitForSelector('.profile-card', { state: 'detached', timeout: LIVE_MS });
    },
    TEST_MS,
  );

  it(
    'should close the profile card with Escape from inside it, focus back on the link, card staying closed',
    async () => {
      const post = await seedPost(w.carol, 'a post by carol');
      const page = await w.bob.context.newPage();
      await page.goto('/explore');
      const link = `#post-${post.id}-author`;
      const card = `${link} + .profile-card`;
      await tabTo(page, link);
      await page.waitForSelector(card, { timeout: LIVE_MS });
      const opened = await page.getAttribute(card, 'id');
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate(
          (s) => document.querySelector(s)?.contains(document.activeElement),
          card,
        ),
      ).toBe(true);

      await page.keyboard.press('Escape');
      await afterPendingWork(page);
      expect(await page.evaluate((s) => document.activeElement?.matches(s), link)).toBe(true);
      const after = await page.$$eval('.profile-card', (cards) => cards.map((c) => c.id));
      expect({
        openedBefore: opened,
        cardsAfterEscape: after,
        ariaExpanded: await page.getAttribute(link, 'aria-expanded'),
      }).toEqual({ openedBefore: opened, cardsAfterEscape: [], ariaExpanded: 'false' });
    },
    TEST_MS,
  );

  describe.each(['en', 'es', 'ru'])('on a phone (%s)', (lang) => {
    it('should not scroll sideways, and show the bell and the Messages badge without opening the menu', async () => {
      await follow(w.bob, w.alice);
      const longWord = 'W'.repeat(140);
      const longUrl = `https://example.com/${'path-segment/'.repeat(8)}?q=${'x'.repeat(140 - 20 - 104 - 3)}`;
      expect(longUrl).toHaveLength(140);
      const wordPost = await seedPost(w.alice, longWord);
      await seedPost(w.alice, longUrl);
      await seedPost(w.alice, `@bob ${'M'.repeat(135)}`);
      await w.t.dataSource
        .getRepository(User)
        .update({ id: w.alice.user.id }, { aboutMe: 'A'.repeat(140) });
      await w.t.app.get(MessagesService).send(w.alice.user, w.bob.user, 'R'.repeat(140));
      await follow(w.carol, w.bob);

      const page = await w.bob.context.newPage();
      await page.setViewportSize(PHONE);
      await page.goto(`/explore?lang=${lang}`);
      const paths = [
        '/',
        '/explore',
        '/user/alice',
        '/user/alice/followers',
        '/notifications/center',
      ];
      const widths: { path: string; scrollWidth: number; clientWidth: number }[] = [];
      for (const path of paths) {
        await gotoLive(page, path);
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        widths.push({
          path,
          ...(await page.evaluate(() => ({
            scrollWidth: document.scrollingElement?.scrollWidth ?? Infinity,
            clientWidth: document.scrollingElement?.clientWidth ?? 0,
          }))),
        });
        expect(await page.isVisible('#main-nav')).toBe(false);
        expect({ path, messages: await onScreen(page, '#message_count') }).toEqual({
          path,
          messages: true,
        });
        // The center clears the bell as it opens: its link is what must stay in sight there.
        const bellSelector =
          path === '/notifications/center' ? '#notifications-link' : '#notification_count';
        expect({ path, bell: await onScreen(page, bellSelector) }).toEqual({ path, bell: true });
        if (path !== '/notifications/center' && path !== '/user/alice/followers') {
          expect(await page.isVisible(`li.post[data-post-id="${wordPost.id}"]`)).toBe(true);
        }
      }
      expect(widths.filter((width) => width.scrollWidth > width.clientWidth)).toEqual([]);
    });
  });
});
