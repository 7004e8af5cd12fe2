import { User } from '../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
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

  it('should show another user without the edit link', async () => {
    const res = await susan.get('/user/john');
    expect(res.status).toBe(200);
    expect(res.text).toContain('User: john');
    expect(res.text).toContain('src="/avatars/john"');
    expect(res.text).not.toContain('href="/edit_profile"');
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

  it('should page through users, page 1 for garbage and an empty page past the end', async () => {
    const page1 = await susan.get('/explore');
    const names = (html: string) =>
      [...html.matchAll(/<a href="\/user\/([^"]+)">/g)].map((m) => m[1]);
    expect(names(page1.text)).toEqual(['alice', 'bob', 'john']);
    expect(page1.text).toContain('href="/explore?page&#x3D;2"');
    const page2 = await susan.get('/explore?page=2');
    expect(names(page2.text)).toEqual(['mary', 'susan']);
    expect(page2.text).toContain('href="/explore?page&#x3D;1"');
    expect(names((await susan.get('/explore?page=abc')).text)).toEqual(names(page1.text));
    const past = await susan.get('/explore?page=9');
    expect(past.status).toBe(200);
    expect(names(past.text)).toEqual([]);
    const home = await susan.get('/?page=2');
    expect(names(home.text)).toEqual(['mary', 'susan']);
  });

  it('should draw avatars locally as SVG', async () => {
    const res = await susan.get('/avatars/john');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('image/svg+xml');
    expect(String(res.body)).toContain('<svg');
  });
});
