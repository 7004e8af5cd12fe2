import { User } from '../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { decodeHtml, postItems } from './utils/pages';
import { createTestApp, TestApp } from './utils/test-app';

describe('Profiles and user lists (e2e)', () => {
  let t: TestApp;
  let susan: BrowserSession;

  beforeAll(async () => {
    t = await createTestApp({ POSTS_PER_PAGE: '3' });
    for (const name of ['susan', 'john', 'mary', 'alice', 'bob']) {
      await createUser(t.app, name);
    }
    susan = new BrowserSession(t.app);
    await susan.login('susan', DEFAULT_PASSWORD);
  });

  afterAll(() => t.close());

  /** The profile's follower, following and post counts, as it shows them. */
  const followCounts = (html: string) => {
    const line = /<p class="[^"]*\bfollow-counts\b[^"]*">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';
    return [...line.matchAll(/<(?:a|span)\b[^>]*>([^<]+)<\/(?:a|span)>/g)]
      .map((m) => decodeHtml(m[1]).trim())
      .filter((text) => text !== '·');
  };

  it('should show another user with counts and a Follow form, without the edit link', async () => {
    const res = await susan.get('/user/john');
    expect(res.status).toBe(200);
    expect(res.text).toContain('User: john');
    expect(res.text).toContain('src="/avatars/john"');
    expect(res.text).not.toContain('href="/edit_profile"');
    expect(followCounts(res.text)).toEqual(['No followers', 'Following nobody', 'No posts']);
    expect(res.text).toContain('action="/user/john/follow"');
    expect(res.text).not.toContain('action="/user/john/unfollow"');
    expect(res.text).toContain('href="/send_message/john"');
  });

  it("should show one's own profile with the edit link and no Follow form", async () => {
    const res = await susan.get('/user/susan');
    expect(res.status).toBe(200);
    expect(res.text).toContain('href="/edit_profile"');
    expect(res.text).not.toMatch(/action="\/user\/susan\/(un)?follow"/);
    expect(res.text).not.toContain('href="/send_message/susan"');
  });

  it('should turn Follow into Unfollow and count the follower, then undo both', async () => {
    const mary = await t.dataSource.getRepository(User).findOneByOrFail({ username: 'mary' });
    expect((await susan.submit('/user/mary', '/user/mary/follow', {})).status).toBe(302);
    const following = await susan.get('/user/mary');
    expect(following.text).toContain('action="/user/mary/unfollow"');
    expect(following.text).not.toContain('action="/user/mary/follow"');
    expect(followCounts(following.text)[0]).toBe('1 follower');
    expect(followCounts((await susan.get('/user/susan')).text)[1]).toBe('Following 1');
    const rows = t.dataSource.getRepository(User);
    expect((await rows.findOneByOrFail({ id: mary.id })).followersCount).toBe(1);

    expect((await susan.submit('/user/mary', '/user/mary/unfollow', {})).status).toBe(302);
    const after = await susan.get('/user/mary');
    expect(after.text).toContain('action="/user/mary/follow"');
    expect(followCounts(after.text)[0]).toBe('No followers');
    expect((await rows.findOneByOrFail({ id: mary.id })).followersCount).toBe(0);
  });

  it('should answer an unknown user with the 404 page', async () => {
    const res = await susan.get('/user/nobody');
    expect(res.status).toBe(404);
    expect(res.text).toContain('There is no such user.');
  });

  it('should save the profile and show "about me" escaped', async () => {
    const about = '<script>alert("x")</script> Привет 👍🏽';
    const saved = await susan.submit('/edit_profile', '/edit_profile', {
      username: 'susan',
      about_me: about,
    });
    expect(saved.status).toBe(302);
    expect((await susan.get(saved.headers.location)).text).toContain(
      'Your changes have been saved.',
    );
    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ username: 'susan' });
    expect(stored.aboutMe).toBe(about);
    const page = await susan.get('/user/susan');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Привет 👍🏽');
    expect(page.text).not.toContain('<script>alert');
  });

  it('should accept 140 visible characters of emoji and refuse 141', async () => {
    const ok = await susan.submit('/edit_profile', '/edit_profile', {
      username: 'susan',
      about_me: '👍🏽'.repeat(140),
    });
    expect(ok.status).toBe(302);
    const tooLong = await susan.submit('/edit_profile', '/edit_profile', {
      username: 'susan',
      about_me: 'ж'.repeat(141),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.text).toContain('At most 140 characters.');
    expect(tooLong.text).toContain('ж'.repeat(141));
  });

  it("should refuse another user's name", async () => {
    const res = await susan.submit('/edit_profile', '/edit_profile', {
      username: 'JOHN',
      about_me: '',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Please use a different username.');
  });

  it("should page through a user's posts, page 1 for garbage and an empty page past the end", async () => {
    const john = new BrowserSession(t.app);
    await john.login('john', DEFAULT_PASSWORD);
    for (let n = 1; n <= 4; n++) {
      expect((await john.submit('/', '/posts', { post: `john ${n}` })).status).toBe(302);
    }
    const bodies = (html: string) => postItems(html).map((post) => post.body);
    const page1 = await susan.get('/user/john');
    expect(followCounts(page1.text)[2]).toBe('4 posts');
    expect(bodies(page1.text)).toEqual(['john 4', 'john 3', 'john 2']);
    expect(page1.text).toContain('href="/user/john?page&#x3D;2"');
    const page2 = await susan.get('/user/john?page=2');
    expect(bodies(page2.text)).toEqual(['john 1']);
    expect(page2.text).toContain('href="/user/john?page&#x3D;1"');
    expect(bodies((await susan.get('/user/john?page=abc')).text)).toEqual(bodies(page1.text));
    const past = await susan.get('/user/john?page=9');
    expect(past.status).toBe(200);
    expect(bodies(past.text)).toEqual([]);
    expect(past.text).toContain('Nothing on this page.');
    // Someone else's profile lists only their posts.
    expect(bodies((await susan.get('/user/mary')).text)).toEqual([]);
  });

  it('should draw avatars locally as SVG', async () => {
    const res = await susan.get('/avatars/john');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('image/svg+xml');
    expect(String(res.body)).toContain('<svg');
  });
});
