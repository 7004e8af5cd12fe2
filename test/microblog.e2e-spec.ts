import { Follow } from '../src/follows/follow.entity';
import { Message } from '../src/messages/message.entity';
import { Event } from '../src/notifications/event.entity';
import { NotificationGroup } from '../src/notifications/notification-group.entity';
import { PostFanoutService } from '../src/posts/post-fanout.service';
import { Post } from '../src/posts/post.entity';
import { TimelineEntry } from '../src/posts/timeline-entry.entity';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { decodeHtml } from './utils/html';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

/** The posts a page lists, as [author, text] in page order. */
function postsOf(html: string): [string, string][] {
  const items = html.split('<li class="list-group-item d-flex gap-3 post"').slice(1);
  return items.map((item) => {
    const author = /data-user-card="([^"]+)">/.exec(item)?.[1] ?? '';
    const body = /<p class="mb-0 post-body">([\s\S]*?)<\/p>/.exec(item)?.[1] ?? '';
    return [author, decodeHtml(body.replace(/<[^>]+>/g, ''))];
  });
}

/** The bell's count on a page. */
function bellOf(html: string): number {
  return Number(/id="notification_count"[^>]*data-count="(\d+)"/.exec(html)?.[1] ?? NaN);
}

/** The lines of the notification center, as their text. */
function centerLines(html: string): string[] {
  const items = html.split('class="list-group-item d-flex gap-3 notification').slice(1);
  return items.map((item) =>
    decodeHtml((/<p class="mb-1">([\s\S]*?)<time/.exec(item)?.[1] ?? '').replace(/<[^>]+>/g, ''))
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

/** Posts, follows, timelines, mentions and the notification center, end to end. */
describe('Microblog (e2e)', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  let a: BrowserSession;
  let b: BrowserSession;
  let c: BrowserSession;

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((name) => createUser(t.app, name)),
    );
    [a, b, c] = await Promise.all(
      ['alice', 'bob', 'carol'].map(async (name) => {
        const session = new BrowserSession(t.app);
        await session.login(name, DEFAULT_PASSWORD);
        return session;
      }),
    );
  });

  afterEach(() => clearDatabase(t.dataSource));

  const post = (session: BrowserSession, text: string) =>
    session.submit('/', '/posts', { post: text });
  const follow = (session: BrowserSession, name: string) =>
    session.submit(`/user/${name}`, `/user/${name}/follow`, {});
  /** Waits until every post's delivery to followers is done. */
  const delivered = async () => {
    const fanout = t.app.get(PostFanoutService);
    for (const row of await t.dataSource.getRepository(Post).find()) {
      await fanout.deliver(row.id);
    }
  };

  it('should post from the home page, show the post there at once, and keep line breaks and links', async () => {
    const res = await post(a, 'Hello\nworld https://example.com/a?b=1 <b>x</b>');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/');
    const home = await a.get('/');
    expect(postsOf(home.text)).toEqual([
      ['alice', 'Helloworld https://example.com/a?b=1 <b>x</b>'],
    ]);
    expect(home.text).toContain('Hello<br>world');
    expect(home.text).toContain(
      '<a href="https://example.com/a?b&#x3D;1" rel="nofollow noopener ugc" target="_blank">',
    );
    expect(home.text).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(home.text).toContain('Your post is now live!');
    const me = await t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id });
    expect(me.postsCount).toBe(1);
  });

  it('should refuse an empty post and one of 141 characters, storing nothing', async () => {
    const empty = await post(a, '   ');
    expect(empty.status).toBe(400);
    const long = await post(a, 'ж'.repeat(141));
    expect(long.status).toBe(400);
    expect(long.text).toContain('ж'.repeat(141));
    expect(await post(a, '👍🏽'.repeat(140))).toHaveProperty('status', 302);
    expect(await t.dataSource.getRepository(Post).count()).toBe(1);
  });

  it('should fill the home timeline with the posts of the people one follows, newest first', async () => {
    await post(b, 'bob before the follow');
    await post(c, 'carol, never followed');
    expect((await follow(a, 'bob')).status).toBe(302);
    await post(b, 'bob after the follow');
    await post(a, 'alice herself');
    await delivered();
    const home = await a.get('/');
    expect(postsOf(home.text)).toEqual([
      ['alice', 'alice herself'],
      ['bob', 'bob after the follow'],
      ['bob', 'bob before the follow'],
    ]);
    const explore = await a.get('/explore');
    expect(postsOf(explore.text).map(([, text]) => text)).toEqual([
      'alice herself',
      'bob after the follow',
      'carol, never followed',
      'bob before the follow',
    ]);
  });

  it('should count followers and following on the rows, and list them', async () => {
    await follow(a, 'bob');
    await follow(c, 'bob');
    await follow(a, 'bob');
    const users = t.dataSource.getRepository(User);
    expect((await users.findOneByOrFail({ id: bob.id })).followersCount).toBe(2);
    expect((await users.findOneByOrFail({ id: alice.id })).followingCount).toBe(1);
    const profile = await a.get('/user/bob');
    expect(profile.text).toContain('2 followers');
    expect(profile.text).toContain('action="/user/bob/unfollow"');
    const followers = await a.get('/user/bob/followers');
    expect(followers.status).toBe(200);
    expect(followers.text).toContain('href="/user/carol"');
    expect(followers.text).toContain('href="/user/alice"');

    expect((await a.submit('/user/bob', '/user/bob/unfollow', {})).status).toBe(302);
    expect((await users.findOneByOrFail({ id: bob.id })).followersCount).toBe(1);
    expect(await t.dataSource.getRepository(Follow).count()).toBe(1);
  });

  it('should take an unfollowed author out of the home timeline', async () => {
    await follow(a, 'bob');
    await post(b, 'from bob');
    await delivered();
    expect(postsOf((await a.get('/')).text)).toEqual([['bob', 'from bob']]);
    await a.submit('/user/bob', '/user/bob/unfollow', {});
    expect(postsOf((await a.get('/')).text)).toEqual([]);
  });

  it('should refuse to follow oneself (400) and a user who blocked you (403)', async () => {
    expect((await follow(a, 'alice')).status).toBe(400);
    await b.submit('/user/alice', '/user/alice/block', {});
    expect((await follow(a, 'bob')).status).toBe(403);
    expect(await t.dataSource.getRepository(Follow).count()).toBe(0);
  });

  it('should end follows both ways on a block and keep the blocked out of timelines', async () => {
    await follow(a, 'bob');
    await follow(b, 'alice');
    await post(b, 'bob posts');
    await delivered();
    await a.submit('/user/bob', '/user/bob/block', {});
    expect(await t.dataSource.getRepository(Follow).count()).toBe(0);
    const users = t.dataSource.getRepository(User);
    expect((await users.findOneByOrFail({ id: alice.id })).followersCount).toBe(0);
    expect((await users.findOneByOrFail({ id: bob.id })).followingCount).toBe(0);
    expect(postsOf((await a.get('/')).text)).toEqual([]);
    expect(postsOf((await a.get('/explore')).text)).toEqual([]);
    expect(
      await t.dataSource
        .getRepository(TimelineEntry)
        .countBy({ userId: alice.id, authorId: bob.id }),
    ).toBe(0);
  });

  it('should link a mention of a known user, notify them, and leave unknown names as text', async () => {
    await post(a, 'hi @Bob and @nobody');
    const home = await a.get('/');
    expect(home.text).toContain(
      '<a href="/user/bob" class="mention" data-user-card="bob">@Bob</a>',
    );
    expect(home.text).toContain('@nobody');
    expect(home.text).not.toContain('href="/user/nobody"');

    const bobHome = await b.get('/');
    expect(bellOf(bobHome.text)).toBe(1);
    const center = await b.get('/notifications/center');
    expect(centerLines(center.text)).toEqual(['New alice mentioned you']);
    expect(center.text).toContain('hi @Bob and @nobody'.replace('@Bob', '@Bob'));
    // Opening the center clears the bell.
    expect(bellOf((await b.get('/')).text)).toBe(0);
    expect(centerLines((await b.get('/notifications/center')).text)).toEqual([
      'alice mentioned you',
    ]);
  });

  it('should group follows within a window and never group mentions', async () => {
    await follow(a, 'carol');
    await follow(b, 'carol');
    await post(a, '@carol one');
    await post(a, '@carol two');
    const center = await c.get('/notifications/center');
    expect(centerLines(center.text)).toEqual([
      'New alice mentioned you',
      'New alice mentioned you',
      'New bob and 1 other followed you',
    ]);
    expect(await t.dataSource.getRepository(NotificationGroup).countBy({ userId: carol.id })).toBe(
      3,
    );
  });

  it('should take a deleted post out of timelines and its mention out of the bell', async () => {
    await follow(c, 'alice');
    await post(a, 'ping @bob');
    await delivered();
    expect(bellOf((await b.get('/')).text)).toBe(1);
    const [stored] = await t.dataSource.getRepository(Post).find();
    // Someone else's post: 404, as for one that does not exist.
    expect((await b.submit('/', `/posts/${stored.id}/delete`, {})).status).toBe(404);
    expect((await a.submit('/', `/posts/${stored.id}/delete`, {})).status).toBe(302);
    expect(postsOf((await c.get('/')).text)).toEqual([]);
    expect(bellOf((await b.get('/')).text)).toBe(0);
    expect(centerLines((await b.get('/notifications/center')).text)).toEqual([]);
    expect(
      (await t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id })).postsCount,
    ).toBe(0);
  });

  it('should honour the preferences: kinds off, mentions only from people one follows', async () => {
    const saved = await b.submit('/edit_profile', '/notifications/preferences', {
      notify_mentions: '1',
      mentions_from_following_only: '1',
    });
    expect(saved.status).toBe(302);
    const settings = await t.dataSource.getRepository(User).findOneByOrFail({ id: bob.id });
    expect(settings).toMatchObject({
      notifyFollows: false,
      notifyMentions: true,
      mentionsFromFollowingOnly: true,
      messagesFromFollowingOnly: false,
    });
    const page = (await b.get('/edit_profile')).text;
    const checked = (name: string) => new RegExp(`name="${name}" value="1" checked`).test(page);
    expect(
      ['notify_follows', 'notify_mentions', 'mentions_from_following_only'].map(checked),
    ).toEqual([false, true, true]);
    await follow(a, 'bob');
    await post(a, '@bob from a stranger');
    expect(bellOf((await b.get('/')).text)).toBe(0);
    await follow(b, 'alice');
    await post(a, '@bob from a friend');
    expect(centerLines((await b.get('/notifications/center')).text)).toEqual([
      'New alice mentioned you',
    ]);
  });

  it('should refuse a message to someone who takes them only from people they follow (403), storing nothing', async () => {
    await b.submit('/edit_profile', '/notifications/preferences', {
      messages_from_following_only: '1',
    });
    const form = await a.get('/send_message/bob');
    expect(form.status).toBe(403);
    const sent = await a.agent
      .post('/send_message/bob')
      .set('Accept', 'text/html')
      .type('form')
      .send({
        csrf_token: /name="csrf_token" value="([^"]+)"/.exec((await a.get('/')).text)?.[1],
        message: 'hi',
      });
    expect(sent.status).toBe(403);
    expect(sent.text).toContain('only accepts private messages from people they follow');
    expect(await t.dataSource.getRepository(Message).count()).toBe(0);
    await follow(b, 'alice');
    expect(
      (await a.submit('/send_message/bob', '/send_message/bob', { message: 'hi' })).status,
    ).toBe(302);
  });

  it('should show a profile card with counts and a Follow button', async () => {
    const card = await a.get('/user/bob/card');
    expect(card.status).toBe(200);
    expect(card.text).not.toContain('<html');
    expect(card.text).toContain('action="/user/bob/follow"');
    expect((await a.get('/user/nobody/card')).status).toBe(404);
  });

  it('should serve the posts a live page was told of, without those of blocked authors', async () => {
    await post(b, 'one');
    await post(c, 'two');
    const ids = (await t.dataSource.getRepository(Post).find()).map((p) => p.id);
    await a.submit('/user/carol', '/user/carol/block', {});
    const live = await a.get(`/posts/live?ids=${ids.join(',')},junk,-1`);
    expect(live.status).toBe(200);
    expect(postsOf(live.text)).toEqual([['bob', 'one']]);
  });

  it('should resume a delivery cut short where it stopped, reaching each follower once', async () => {
    await follow(b, 'alice');
    await follow(c, 'alice');
    const [first, second] = [bob, carol].sort((x, y) => x.id - y.id);
    // As if the process stopped after delivering to the first follower.
    const posts = t.dataSource.getRepository(Post);
    const stored = await posts.save(
      posts.create({
        authorId: alice.id,
        body: 'cut short',
        timestamp: new Date(),
        fanoutAfter: first.id,
      }),
    );
    await t.app.get(PostFanoutService).onApplicationBootstrap();
    const deadline = Date.now() + 5000;
    while ((await posts.findOneByOrFail({ id: stored.id })).fanoutAfter !== null) {
      if (Date.now() > deadline) {
        throw new Error('the delivery did not resume');
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const entries = await t.dataSource.getRepository(TimelineEntry).findBy({ postId: stored.id });
    expect(entries.map((e) => e.userId)).toEqual([second.id]);
    const events = await t.dataSource.getRepository(Event).findBy({ name: 'new_post' });
    expect(events.map((e) => [e.userId, (JSON.parse(e.payloadJson) as { id: number }).id])).toEqual(
      [[second.id, stored.id]],
    );
  });

  describe('over the stream', () => {
    const open: SseClient[] = [];
    afterEach(() => open.splice(0).forEach((client) => client.close()));

    const connect = async (user: User, query = '') => {
      const client = await SseClient.connect(t.baseUrl, `/notifications/stream${query}`, {
        Cookie: await authCookieFor(t.app, user),
      });
      open.push(client);
      await client.waitFor((s) => s.frames.some((f) => f.id !== undefined && f.id !== ''));
      return client;
    };
    const postFrames = (client: SseClient) =>
      client.frames
        .filter((f) => f.event === 'post')
        .map((f) => JSON.parse(f.data as string) as { action: string; id: number });

    it("should bring a followed author's posts to the follower's log, in order, with the bell's count for a follow", async () => {
      await follow(b, 'alice');
      const stream = await connect(bob);
      await post(a, 'first');
      await post(a, 'second');
      await delivered();
      await stream.waitFor((s) => s.events.filter((e) => e.name === 'new_post').length === 2);
      const ids = (await t.dataSource.getRepository(Post).find({ order: { id: 'ASC' } })).map(
        (p) => p.id,
      );
      expect(stream.events.filter((e) => e.name === 'new_post').map((e) => e.data)).toEqual(
        ids.map((id) => ({ id, author: 'alice' })),
      );
      const aliceStream = await connect(alice);
      await follow(c, 'alice');
      await aliceStream.waitFor((s) => s.events.some((e) => e.name === 'notification_count'));
      expect(aliceStream.events.map((e) => e.name)).toEqual(['notification', 'notification_count']);
      // Bob followed her before: the bell counts both.
      expect(aliceStream.events[1].data).toBe(2);
    });

    it('should send live post frames only to streams watching the topic', async () => {
      const explore = await connect(bob, '?watch=explore');
      const profile = await connect(carol, `?watch=user:${alice.id}`);
      const other = await connect(alice, `?watch=user:${carol.id},junk`);
      await post(a, 'to explore');
      const [stored] = await t.dataSource.getRepository(Post).find();
      await explore.waitFor((s) => postFrames(s).length === 1);
      await profile.waitFor((s) => postFrames(s).length === 1);
      expect(postFrames(explore)).toEqual([{ action: 'created', id: stored.id, author: 'alice' }]);
      // A later frame to every stream: the one watching carol got nothing before it.
      await post(c, 'marker');
      await other.waitFor((s) => postFrames(s).length === 1);
      expect(postFrames(other).map((f) => f.action)).toEqual(['created']);
      expect(postFrames(other)[0].id).not.toBe(stored.id);
      // The frames move no cursor: their id is the stream's position.
      const frame = explore.frames.find((f) => f.event === 'post');
      expect(frame?.id).toBe(explore.lastEventId);

      await a.submit('/', `/posts/${stored.id}/delete`, {});
      await explore.waitFor((s) => postFrames(s).some((f) => f.action === 'deleted'));
      expect(postFrames(explore).at(-1)).toEqual({ action: 'deleted', id: stored.id });
    });
  });
});
