import request from 'supertest';
import { BlocksService } from '../src/blocks/blocks.service';
import { Fts5PostSearch } from '../src/search/fts5-post-search';
import { InnodbPostSearch } from '../src/search/innodb-post-search';
import { Post } from '../src/posts/post.entity';
import { PostsService } from '../src/posts/posts.service';
import { Role, User } from '../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { pagerOf } from './utils/html';
import { decodeHtml, postItems } from './utils/pages';
import { createTestApp, TestApp } from './utils/test-app';

const PER_PAGE = 3;

/** What a search page shows. */
interface Results {
  status: number;
  html: string;
  /** The posts found, as [author, text], in page order. */
  posts: [string, string][];
  /** The heading above them, as read. */
  heading: string;
}

/** Full-text search of posts (GET /search), on each database's own engine. */
describe('Search (e2e)', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  let a: BrowserSession;
  let c: BrowserSession;

  beforeAll(async () => {
    t = await createTestApp({ POSTS_PER_PAGE: String(PER_PAGE) });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((name) => createUser(t.app, name)),
    );
    a = new BrowserSession(t.app);
    await a.login('alice', DEFAULT_PASSWORD);
    c = new BrowserSession(t.app);
    await c.login('carol', DEFAULT_PASSWORD);
  });

  afterEach(() => clearDatabase(t.dataSource));

  const post = (author: User, body: string) => t.app.get(PostsService).create(author, body);

  /** Posts that match none of the words searched for, so every term is rare enough to rank. */
  async function filler(count = 6) {
    for (let i = 0; i < count; i++) {
      await post(carol, `filler number ${i} about nothing special`);
    }
  }

  async function search(session: BrowserSession, q: string, page?: number): Promise<Results> {
    const query = new URLSearchParams({ q, ...(page ? { page: String(page) } : {}) });
    const res = await session.get(`/search?${query.toString()}`);
    const heading = /<h2 class="h5" id="search-results-heading">([\s\S]*?)<\/h2>/.exec(res.text);
    return {
      status: res.status,
      html: res.text,
      posts: res.status === 200 ? postItems(res.text).map((p) => [p.author, p.body]) : [],
      heading: heading ? decodeHtml(heading[1]).trim() : '',
    };
  }

  const bodies = (results: Results) => results.posts.map(([, body]) => body);

  /** The posts the engine's own index finds for one word, read from the database. */
  async function indexed(word: string): Promise<number[]> {
    const rows: { id: number }[] =
      t.dialect === 'sqlite'
        ? await t.dataSource.query(`SELECT rowid AS id FROM posts_fts WHERE posts_fts MATCH ?`, [
            `"${word}"`,
          ])
        : await t.dataSource.query(
            `SELECT id FROM posts WHERE MATCH (body) AGAINST (? IN BOOLEAN MODE)`,
            [`+${word}`],
          );
    return rows.map((row) => Number(row.id)).sort((x, y) => x - y);
  }

  it('should find a post the moment its form was sent, and mark the words found', async () => {
    const res = await a.submit('/', '/posts', { post: 'Fresh kiwi from the market' });
    expect(res.status).toBe(302);
    const stored = await t.dataSource.getRepository(Post).findOneByOrFail({ authorId: alice.id });
    const found = await search(c, 'KIWI');
    expect(found.status).toBe(200);
    expect(found.posts).toEqual([['alice', 'Fresh kiwi from the market']]);
    expect(found.html).toContain('Fresh <mark>kiwi</mark> from the market');
    expect(found.heading).toBe('1 post matching “KIWI”');
    expect(await indexed('kiwi')).toEqual([stored.id]);
  });

  it('should rank the post where the word counts most first, and equal ones newest first', async () => {
    await filler();
    await post(bob, 'a mango and a kiwi and some other words around them');
    await post(bob, 'kiwi kiwi kiwi kiwi');
    await post(alice, 'kiwi mango');
    await post(alice, 'kiwi mango');
    expect(bodies(await search(c, 'kiwi'))).toEqual([
      'kiwi kiwi kiwi kiwi',
      'kiwi mango',
      'kiwi mango',
    ]);
    // Every word must be in the post; two that score the same, the newer first.
    const both = await search(c, 'mango kiwi');
    const newest = await t.dataSource.getRepository(Post).find({
      where: { authorId: alice.id },
      order: { id: 'DESC' },
    });
    expect(both.html.indexOf(`data-post-id="${newest[0].id}"`)).toBeLessThan(
      both.html.indexOf(`data-post-id="${newest[1].id}"`),
    );
    expect(bodies(both)).toEqual([
      'kiwi mango',
      'kiwi mango',
      'a mango and a kiwi and some other words around them',
    ]);
  });

  it('should rank only the newest candidates, the best of them first', async () => {
    await filler();
    const best = await post(alice, 'kiwi kiwi kiwi kiwi');
    const newer = [];
    for (let i = 1; i <= 4; i++) {
      newer.push(await post(alice, `kiwi and the other words number ${i}`));
    }
    const blocked = await post(bob, 'kiwi kiwi kiwi from bob, blocked');
    await t.app.get(BlocksService).block(carol, bob);
    // The engines as the module builds them, with 3 candidates instead of 10,000.
    const engine =
      t.dialect === 'sqlite'
        ? new Fts5PostSearch(t.dataSource, 3)
        : new InnodbPostSearch(t.dataSource, { candidates: 3 });
    const hits = await engine.search(['kiwi'], carol.id, { offset: 0, limit: 10 });
    // The three newest posts carol may see: not the best match, nor bob's, which she blocked.
    expect(hits.ids).toEqual([newer[3].id, newer[2].id, newer[1].id]);
    expect(hits.ids).not.toContain(best.id);
    expect(hits.ids).not.toContain(blocked.id);
    // With the module's 10,000 the best match ranks first.
    expect(bodies(await search(c, 'kiwi'))).toEqual([
      'kiwi kiwi kiwi kiwi',
      'kiwi and the other words number 4',
      'kiwi and the other words number 3',
    ]);
  });

  it('should page through the results with the query in the links', async () => {
    await filler();
    for (let i = 1; i <= 7; i++) {
      await post(alice, `banana split number ${i}`);
    }
    const pager = (results: Results) => decodeHtml(pagerOf(results.html) ?? '');
    const first = await search(c, 'banana');
    expect(bodies(first)).toEqual([7, 6, 5].map((i) => `banana split number ${i}`));
    expect(first.heading).toBe('3 posts matching “banana”, page 1');
    expect(pager(first)).toContain('href="/search?q=banana&page=2" rel="next"');
    expect(pager(first)).not.toContain('rel="prev"');
    const second = await search(c, 'banana', 2);
    expect(bodies(second)).toEqual([4, 3, 2].map((i) => `banana split number ${i}`));
    expect(pager(second)).toContain('href="/search?q=banana&page=1" rel="prev"');
    expect(pager(second)).toContain('href="/search?q=banana&page=3" rel="next"');
    const last = await search(c, 'banana', 3);
    expect(bodies(last)).toEqual(['banana split number 1']);
    expect(pager(last)).not.toContain('rel="next"');
    const past = await search(c, 'banana', 9);
    expect([past.status, past.posts, past.heading]).toEqual([200, [], 'Nothing on this page.']);
    expect(decodeHtml(past.html)).toContain('href="/search?q=banana&page=1"');
  });

  it('should show markup in a post as text, with the words found marked', async () => {
    await post(bob, '<b>bold</b> kiwi <script>alert(1)</script> & "quotes"');
    const found = await search(c, 'kiwi bold');
    expect(found.posts).toEqual([['bob', '<b>bold</b> kiwi <script>alert(1)</script> & "quotes"']]);
    expect(found.html).toContain(
      '&lt;b&gt;<mark>bold</mark>&lt;/b&gt; <mark>kiwi</mark> &lt;script&gt;alert(1)&lt;/script&gt;' +
        ' &amp; &quot;quotes&quot;',
    );
    expect(found.html).not.toContain('<b>bold');
    expect(found.html).not.toContain('<script>alert');
  });

  it('should show a query with markup as text', async () => {
    const found = await search(c, '<script>alert("x")</script><mark>');
    expect(found.status).toBe(200);
    expect(found.html).not.toContain('<script>alert');
    expect(found.html).toContain(
      'value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;mark&gt;"',
    );
    expect(found.heading).toBe('No posts match “<script>alert("x")</script><mark>”.');
  });

  it('should find Cyrillic words in any case, "ё" as "е"', async () => {
    await filler();
    await post(bob, 'Привет мир!');
    await post(bob, 'Ёлка зелёная');
    await post(bob, 'мой дом');
    for (const q of ['привет', 'МИР', 'Привет, мир']) {
      expect([q, bodies(await search(c, q))]).toEqual([q, ['Привет мир!']]);
    }
    expect((await search(c, 'мир')).html).toContain('Привет <mark>мир</mark>!');
    for (const q of ['елка', 'ЁЛКА', 'зеленая', 'зелёная ёлка']) {
      expect([q, bodies(await search(c, q))]).toEqual([q, ['Ёлка зелёная']]);
    }
    expect((await search(c, 'елка')).html).toContain('<mark>Ёлка</mark> зелёная');
    // "й" is a letter of its own: "мои" is another word.
    expect(bodies(await search(c, 'мои'))).toEqual([]);
    expect(bodies(await search(c, 'мой'))).toEqual(['мой дом']);
  });

  it('should find Spanish words with or without their accents', async () => {
    await filler();
    await post(bob, 'La canción del año');
    for (const q of ['cancion', 'CANCIÓN', 'canción', 'año', 'ano']) {
      expect([q, bodies(await search(c, q))]).toEqual([q, ['La canción del año']]);
    }
    expect((await search(c, 'cancion ano')).html).toContain(
      'La <mark>canción</mark> del <mark>año</mark>',
    );
  });

  it.each([
    '"',
    '*',
    '-',
    '(',
    ')',
    '"unbalanced',
    'a AND OR NOT',
    'NEAR(',
    'NEAR(kiwi market)',
    'kiwi OR',
    'body:kiwi',
    "kiwi' OR '1'='1",
    'kiwi; DROP TABLE posts; --',
    '%',
    '_',
    '\\',
    '😀🎉',
    '',
    ' ',
    'k'.repeat(1000),
    'é'.repeat(1000),
    'kiwi '.repeat(200),
    `${'word '.repeat(9)}kiwi`,
  ])('should answer the query %p with a page, never an error', async (q) => {
    await post(bob, 'kiwi market');
    const found = await search(c, q);
    expect([q.slice(0, 40), found.status]).toEqual([q.slice(0, 40), 200]);
    expect(found.html).toContain('id="search-q"');
    expect(await t.dataSource.getRepository(Post).count()).toBe(1);
  });

  it.each([
    '"kiwi',
    'kiwi"',
    'kiwi*',
    '-kiwi',
    '+kiwi',
    '(kiwi',
    'kiwi)',
    'kiwi:',
    '{kiwi}',
    '^kiwi',
    '@kiwi',
    '~kiwi',
    '>kiwi <kiwi',
    '"kiwi" "KIWI"',
    '\u0000kiwi',
    '\ud800kiwi',
    '😀kiwi🎉',
    'kiwi market',
    '"market kiwi"',
  ])('should read the query %p as its words, operators and quotes as text', async (q) => {
    await post(bob, 'kiwi market');
    await post(bob, 'market stall');
    const found = await search(c, q);
    expect([q, found.status, bodies(found)]).toEqual([q, 200, ['kiwi market']]);
  });

  it('should say when a long query was cut and which words were not searched', async () => {
    await post(bob, 'kiwi market');
    const long = await search(c, `kiwi ${'x'.repeat(300)}`);
    expect(long.status).toBe(200);
    expect(long.html).toContain('id="search-cut"');
    expect(long.html).toContain('value="kiwi xxx');
    const many = await search(c, 'one two three four five six seven eight nine ten');
    expect(decodeHtml(/id="search-ignored">([^<]*)</.exec(many.html)?.[1] ?? '')).toContain(
      'nine, ten',
    );
  });

  it('should treat the words a MariaDB index leaves out as the engine does', async () => {
    await filler();
    await post(bob, 'the quick brown fox');
    await post(bob, 'an ox is here');
    const fox = await search(c, 'the fox');
    // FTS5 indexes every word; InnoDB skips stopwords and words under 3 letters, and says so.
    expect(bodies(fox)).toEqual(['the quick brown fox']);
    const ignored = /id="search-ignored">([^<]*)</.exec(fox.html)?.[1];
    expect(ignored === undefined ? null : decodeHtml(ignored)).toEqual(
      t.dialect === 'mysql' ? expect.stringContaining(': the') : null,
    );
    expect(bodies(await search(c, 'ox'))).toEqual(t.dialect === 'mysql' ? [] : ['an ox is here']);
    expect((await search(c, 'ox')).status).toBe(200);
  });

  it('should leave out the posts of people the reader blocked', async () => {
    await post(bob, 'kiwi from bob');
    await post(carol, 'kiwi from carol');
    await t.app.get(BlocksService).block(alice, bob);
    expect(bodies(await search(a, 'kiwi'))).toEqual(['kiwi from carol']);
    // Only the blocker's search changes.
    expect(bodies(await search(c, 'kiwi'))).toEqual(['kiwi from carol', 'kiwi from bob']);
  });

  it('should find a post no more once its author deleted it', async () => {
    await post(alice, 'kiwi to keep');
    const gone = await post(alice, 'kiwi to delete');
    expect(bodies(await search(a, 'kiwi'))).toEqual(['kiwi to delete', 'kiwi to keep']);
    const res = await a.submit('/search?q=kiwi', `/posts/${gone.id}/delete`, {
      next: '/search?q=kiwi',
    });
    expect([res.status, res.headers.location]).toEqual([302, '/search?q=kiwi']);
    expect(bodies(await search(a, 'kiwi'))).toEqual(['kiwi to keep']);
    expect(await indexed('delete')).toEqual([]);
  });

  it('should find a post no more once an admin deleted it through the API', async () => {
    const admin = await createUser(t.app, 'root', { role: Role.Admin });
    const moderated = await post(bob, 'kiwi spam');
    expect(bodies(await search(c, 'spam'))).toEqual(['kiwi spam']);
    const token = (await authCookieFor(t.app, admin)).split('=')[1];
    const res = await request(t.app.getHttpServer())
      .delete(`/api/admin/posts/${moderated.id}`)
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(204);
    expect(bodies(await search(c, 'spam'))).toEqual([]);
    expect(await indexed('spam')).toEqual([]);
  });

  it('should find the posts of a deleted user no more', async () => {
    await post(bob, 'kiwi of a user who leaves');
    await t.dataSource.getRepository(User).delete({ id: bob.id });
    expect(bodies(await search(c, 'kiwi'))).toEqual([]);
    expect(await indexed('leaves')).toEqual([]);
  });

  it('should index nothing of a post whose transaction rolled back', async () => {
    await expect(
      t.dataSource.transaction(async (manager) => {
        await manager.getRepository(Post).insert({
          authorId: bob.id,
          body: 'kiwi never committed',
          timestamp: new Date(),
          fanoutAfter: null,
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(bodies(await search(c, 'committed'))).toEqual([]);
    expect(await indexed('committed')).toEqual([]);
  });

  it('should ask for words before searching, and send anonymous visitors to log in', async () => {
    const empty = await c.get('/search');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('id="search-start"');
    expect(empty.text).not.toContain('id="search-results-heading"');
    const anonymous = await new BrowserSession(t.app).get('/search?q=kiwi');
    expect([anonymous.status, anonymous.headers.location]).toEqual([
      302,
      '/auth/login?next=%2Fsearch%3Fq%3Dkiwi',
    ]);
  });

  it('should offer the search box in the navbar of every page for logged-in users', async () => {
    for (const path of ['/', '/explore', '/user/bob', '/search?q=x']) {
      const html = (await c.get(path)).text;
      expect([path, html]).toEqual([
        path,
        expect.stringMatching(
          /<form method="get" action="\/search" role="search" aria-label="[^"]+"/,
        ),
      ]);
      expect(html).toContain('<label class="visually-hidden" for="navbar-search-q">');
    }
    const anonymous = await new BrowserSession(t.app).get('/auth/login');
    expect(anonymous.text).not.toContain('action="/search"');
  });

  it('should speak the page language', async () => {
    await filler();
    await post(bob, 'Привет мир');
    const ru = await c.get(`/search?q=${encodeURIComponent('мир')}&lang=ru`);
    expect(ru.text).toContain('Поиск постов');
    expect(ru.text).toContain('1 пост по запросу «мир»');
    const es = await c.get(`/search?q=zzz&lang=es`);
    expect(es.text).toContain('Ninguna publicación coincide con «zzz».');
  });
});
