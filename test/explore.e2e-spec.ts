import { User } from '../src/users/user.entity';
import { prefixSearchQuery } from '../src/users/user-search';
import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { decodeHtml, languageLinks, listedUsers, pagerOf, titleOf } from './utils/html';
import { createTestApp, TestApp } from './utils/test-app';

describe('Explore: search by username (e2e)', () => {
  let t: TestApp;
  let susan: BrowserSession;

  beforeAll(async () => {
    t = await createTestApp({ POSTS_PER_PAGE: '2' });
    for (const name of ['Alice', 'alicia', 'Albert', 'bob', 'susan', 'a_b', 'K9unit', 'zzz']) {
      await createUser(t.app, name);
    }
    susan = new BrowserSession(t.app);
    await susan.login('susan', DEFAULT_PASSWORD);
  });

  afterAll(() => t.close());

  const search = (q: string, page?: number) =>
    susan.get(`/explore?q=${encodeURIComponent(q)}${page ? `&page=${page}` : ''}`);

  it('should find usernames that start with the term, whatever its case', async () => {
    const res = await search('ALI');
    expect(res.status).toBe(200);
    expect(listedUsers(res.text)).toEqual(['Alice', 'alicia']);
    expect(listedUsers((await search('alicia')).text)).toEqual(['alicia']);
    expect(listedUsers((await search('B')).text)).toEqual(['bob']);
    expect(listedUsers((await search('  bo  ')).text)).toEqual(['bob']);
    // A prefix, not a substring: "lic" is inside two names and starts none.
    expect(listedUsers((await search('lic')).text)).toEqual([]);
  });

  it("should find names ending in the letters MariaDB's collation sorts after punctuation", async () => {
    // utf8mb4_unicode_ci puts ":" before "9" and "{" before "z": a code point range misses these.
    expect(listedUsers((await search('k9')).text)).toEqual(['K9unit']);
    expect(listedUsers((await search('ZZ')).text)).toEqual(['zzz']);
  });

  it('should take LIKE wildcards literally', async () => {
    for (const q of ['%', '_', '%a', '_l', 'a%', '!', '!%']) {
      expect([q, listedUsers((await search(q)).text)]).toEqual([q, []]);
    }
    expect(listedUsers((await search('a_')).text)).toEqual(['a_b']);
    expect(listedUsers((await search('A_B')).text)).toEqual(['a_b']);
  });

  it('should page the results by name and keep the search in the pager links', async () => {
    const page1 = await search('al');
    expect(listedUsers(page1.text)).toEqual(['Albert', 'Alice']);
    const pager1 = decodeHtml(pagerOf(page1.text) ?? '');
    expect(pager1).toContain('href="/explore?q=al&page=2"');
    expect(pager1).not.toContain('page=1');

    const page2 = await search('al', 2);
    expect(listedUsers(page2.text)).toEqual(['alicia']);
    const pager2 = decodeHtml(pagerOf(page2.text) ?? '');
    expect(pager2).toContain('href="/explore?q=al&page=1"');
    expect(pager2).not.toContain('page=3');

    // A term that needs encoding stays one term in the links.
    const encoded = await susan.get('/explore?q=%20a%20&page=1');
    expect(decodeHtml(pagerOf(encoded.text) ?? '')).toContain('href="/explore?q=a&page=2"');
  });

  it('should show the search box with a visible label and the term in it, escaped', async () => {
    const res = await search('<b>"al');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<form method="get" action="\/explore" role="search"/);
    expect(res.text).toContain('<label class="form-label" for="explore-q">Search users</label>');
    expect(res.text).toMatch(/<input [^>]*id="explore-q" name="q" value="&lt;b&gt;&quot;al"/);
    expect(res.text).not.toContain('<b>"al');
    expect((await susan.get('/explore')).text).toMatch(/id="explore-q" name="q" value=""/);
  });

  it('should say that nothing matches, naming the term', async () => {
    const res = await search('nobody');
    expect(res.status).toBe(200);
    expect(listedUsers(res.text)).toEqual([]);
    expect(res.text).toContain('No users match “nobody”.');
    expect(res.text).not.toContain('No users yet.');
    expect(pagerOf(res.text)).toBeNull();
    expect((await search('<i>x')).text).toContain('No users match “&lt;i&gt;x”.');
  });

  it.each([
    ['a term longer than any username', `q=${'a'.repeat(5000)}`],
    ['control characters', 'q=%00al%1B%7F'],
    ['bytes that are not UTF-8', 'q=%ED%A0%80%FF'],
    ['a repeated term', 'q=al&q=bo'],
    ['a bracketed term', 'q[]=al&q[x]=bo'],
    ['letters no username has', 'q=%D0%B6%F0%9F%91%8D'],
    ['a right-to-left override', 'q=%E2%80%AEal'],
  ])('should answer %s with a page', async (_name, query) => {
    const res = await susan.get(`/explore?${query}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="explore-q"');
    expect(res.text.replace(/[\t\n\r]/g, '')).not.toMatch(/\p{Cc}/u);
  });

  it('should cut an over-long term to the longest username', async () => {
    const res = await susan.get(`/explore?q=${'a'.repeat(65)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`name="q" value="${'a'.repeat(64)}"`);
    expect(res.text).toContain(`No users match “${'a'.repeat(64)}”.`);
  });

  it('should read the unique index on username_lower', async () => {
    const users = t.dataSource.getRepository(User);
    const [sql, params] = prefixSearchQuery(users, 'al').skip(0).take(2).getQueryAndParameters();
    if (t.dialect === 'sqlite') {
      const indexes = await t.dataSource.query<{ name: string }[]>(`PRAGMA index_list('users')`);
      let index = '';
      for (const { name } of indexes) {
        const columns = await t.dataSource.query<{ name: string }[]>(
          `PRAGMA index_info('${name}')`,
        );
        if (columns.length === 1 && columns[0].name === 'username_lower') {
          index = name;
        }
      }
      expect(index).not.toBe('');
      const plan = await t.dataSource.query<{ detail: string }[]>(
        `EXPLAIN QUERY PLAN ${sql}`,
        params,
      );
      const details = plan.map((row) => row.detail);
      expect(details).toEqual([
        expect.stringMatching(
          new RegExp(
            `^SEARCH u USING (COVERING )?INDEX ${index} \\(username_lower>\\? AND username_lower<\\?\\)$`,
          ),
        ),
      ]);
    } else {
      const [index] = await t.dataSource.query<{ Key_name: string }[]>(
        "SHOW INDEX FROM users WHERE Column_name = 'username_lower'",
      );
      const plan = await t.dataSource.query<
        { table: string; type: string; key: string | null; Extra: string | null }[]
      >(`EXPLAIN ${sql}`, params);
      expect(plan).toEqual([
        expect.objectContaining({ table: 'u', type: 'range', key: index.Key_name }),
      ]);
      expect(plan[0].Extra ?? '').not.toMatch(/filesort|temporary/i);
    }
  });

  it('should keep the search and the page when the language changes', async () => {
    const browser = new BrowserSession(t.app);
    await browser.login('susan', DEFAULT_PASSWORD);
    const res = await browser.get('/explore?q=al&page=2');
    expect(languageLinks(res.text)).toEqual({
      es: '/explore?q=al&page=2&lang=es',
      ru: '/explore?q=al&page=2&lang=ru',
    });

    const spanish = await browser.get(languageLinks(res.text).es);
    expect(spanish.status).toBe(200);
    expect(spanish.text).toContain('<html lang="es"');
    expect(spanish.text).toContain('>Buscar usuarios</label>');
    expect(titleOf(spanish.text)).toBe('Explorar - Microblog');
    expect(listedUsers(spanish.text)).toEqual(['alicia']);
    expect(spanish.text).toMatch(/name="q" value="al"/);
    expect(languageLinks(spanish.text)).toEqual({
      en: '/explore?q=al&page=2&lang=en',
      ru: '/explore?q=al&page=2&lang=ru',
    });
    const russian = await browser.get('/explore?q=nobody&lang=ru');
    expect(russian.text).toContain('Нет пользователей по запросу «nobody».');
  });
});
