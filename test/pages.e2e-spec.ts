import request from 'supertest';
import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import {
  expectValidHeadings,
  languageLinks,
  linksLabelled,
  listedUsers,
  pagerOf,
  titleOf,
} from './utils/html';
import { postItems } from './utils/pages';
import { createTestApp, TestApp } from './utils/test-app';

describe('Pagers, titles, error pages and language links (e2e)', () => {
  let t: TestApp;
  let susan: BrowserSession;

  beforeAll(async () => {
    t = await createTestApp({ POSTS_PER_PAGE: '2' });
    // Five users whose names start with "s" and one who doesn't; five posts by susan. Two a
    // page: pages 1 and 2 of each list are full, page 3 has one.
    for (const name of ['susan', 'sam', 'sara', 'sid', 'sky', 'bob']) {
      await createUser(t.app, name);
    }
    susan = new BrowserSession(t.app);
    await susan.login('susan', DEFAULT_PASSWORD);
    for (let n = 1; n <= 5; n++) {
      const posted = await susan.submit('/', '/posts', { post: `post ${n}` });
      expect(posted.status).toBe(302);
    }
  });

  afterAll(() => t.close());

  /** The pager's links by label: undefined for a link it does not show. */
  function pagerLinks(html: string, previousLabel: string, nextLabel: string) {
    const pager = pagerOf(html) ?? '';
    return {
      previous: linksLabelled(pager, previousLabel)[0],
      next: linksLabelled(pager, nextLabel)[0],
    };
  }
  const postPager = (html: string) => pagerLinks(html, 'Newer posts', 'Older posts');
  const userPager = (html: string) => pagerLinks(html, 'Previous page', 'Next page');
  const postBodies = (html: string) => postItems(html).map((post) => post.body);
  /** What a page lists: its posts' bodies, or the users it lists. */
  const listed = (html: string) => [...postBodies(html), ...listedUsers(html)];

  describe('pagers', () => {
    it('should page the home timeline: no link back on the first page, none on past the last', async () => {
      const first = await susan.get('/');
      expect(postBodies(first.text)).toEqual(['post 5', 'post 4']);
      expect(postPager(first.text)).toEqual({ previous: undefined, next: '/?page=2' });

      const middle = await susan.get('/?page=2');
      expect(postBodies(middle.text)).toEqual(['post 3', 'post 2']);
      expect(postPager(middle.text)).toEqual({ previous: '/?page=1', next: '/?page=3' });

      const last = await susan.get('/?page=3');
      expect(postBodies(last.text)).toEqual(['post 1']);
      expect(postPager(last.text)).toEqual({ previous: '/?page=2', next: undefined });

      for (const page of [first, middle, last]) {
        expect(page.text).not.toContain('aria-disabled');
        expect(page.text).not.toContain('page-item disabled');
      }
    });

    it('should page the users a search finds, keeping the search in the links', async () => {
      const first = await susan.get('/explore?q=s');
      expect(listedUsers(first.text)).toEqual(['sam', 'sara']);
      expect(userPager(first.text)).toEqual({ previous: undefined, next: '/explore?q=s&page=2' });

      const middle = await susan.get('/explore?q=s&page=2');
      expect(listedUsers(middle.text)).toEqual(['sid', 'sky']);
      expect(userPager(middle.text)).toEqual({
        previous: '/explore?q=s&page=1',
        next: '/explore?q=s&page=3',
      });

      const last = await susan.get('/explore?q=s&page=3');
      expect(listedUsers(last.text)).toEqual(['susan']);
      expect(userPager(last.text)).toEqual({ previous: '/explore?q=s&page=2', next: undefined });

      for (const page of [first, middle, last]) {
        expect(page.text).not.toContain('aria-disabled');
        expect(page.text).not.toContain('page-item disabled');
      }
    });

    it('should show no pager at all for a list on one page', async () => {
      const res = await susan.get('/explore?q=bob');
      expect(listedUsers(res.text)).toEqual(['bob']);
      expect(pagerOf(res.text)).toBeNull();
      expect(res.text).not.toContain('Previous page');
      expect(res.text).not.toContain('Next page');

      const bob = new BrowserSession(t.app);
      await bob.login('bob', DEFAULT_PASSWORD);
      await bob.submit('/', '/posts', { post: 'the only post of bob' });
      const home = await bob.get('/');
      expect(postBodies(home.text)).toEqual(['the only post of bob']);
      expect(pagerOf(home.text)).toBeNull();
      expect(home.text).not.toContain('Newer posts');
      expect(home.text).not.toContain('Older posts');
    });

    it.each([
      ['/?page=999', '/?page=1'],
      ['/explore?page=999', '/explore?page=1'],
      ['/explore?q=s&page=9', '/explore?q=s&page=1'],
    ])('should say %s is past the end, not that the list is empty', async (path, first) => {
      const res = await susan.get(path);
      expect(res.status).toBe(200);
      expect(listed(res.text)).toEqual([]);
      expect(res.text).toContain('Nothing on this page.');
      expect(linksLabelled(res.text, 'Go to the first page')).toEqual([first]);
      for (const empty of ['Nothing here yet.', 'Nobody has posted yet.', 'No users yet.']) {
        expect(res.text).not.toContain(empty);
      }
      expect(res.text).not.toContain('No users match');
      expect(listed((await susan.get(first)).text)).not.toEqual([]);
    });

    it('should say so in Spanish too', async () => {
      const res = await susan.get('/?page=999&lang=es');
      expect(res.text).toContain('No hay nada en esta página.');
      expect(linksLabelled(res.text, 'Ir a la primera página')).toEqual(['/?page=1']);
      await susan.get('/?lang=en');
    });
  });

  describe('titles', () => {
    it.each([
      ['/', 'en', 'Home - Microblog'],
      ['/', 'es', 'Inicio - Microblog'],
      ['/', 'ru', 'Главная - Микроблог'],
      ['/explore', 'en', 'Explore - Microblog'],
      ['/explore', 'es', 'Explorar - Microblog'],
      ['/explore', 'ru', 'Обзор - Микроблог'],
    ])('should name %s in %s', async (path, lang, title) => {
      const browser = new BrowserSession(t.app);
      await browser.login('susan', DEFAULT_PASSWORD);
      const res = await browser.get(`${path}?lang=${lang}`);
      expect(res.status).toBe(200);
      expect(titleOf(res.text)).toBe(title);
      expectValidHeadings(res.text);
    });
  });

  describe('error pages', () => {
    it.each([
      ['en', 'Page not found', 'The page you asked for does not exist.'],
      ['es', 'Página no encontrada', 'La página que buscas no existe.'],
      ['ru', 'Страница не найдена', 'Запрошенной страницы не существует.'],
    ])('should show an unknown page as not found in %s', async (lang, heading, text) => {
      const res = await new BrowserSession(t.app).get(`/nope?lang=${lang}`);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('Cannot GET');
      expect(res.text).not.toContain('/nope</');
      expect(res.text).toContain(`<html lang="${lang}"`);
      expect(res.text).toMatch(new RegExp(`<h1[^>]*>${heading}</h1>`));
      expect(res.text).toContain(text);
      expect(titleOf(res.text)).toMatch(new RegExp(`^${heading} - (Microblog|Микроблог)$`));
      expectValidHeadings(res.text);
    });

    it('should keep our own message on a not-found page, and its title', async () => {
      const res = await susan.get('/user/nobody');
      expect(res.status).toBe(404);
      expect(res.text).toContain('There is no such user.');
      expect(titleOf(res.text)).toBe('Page not found - Microblog');
      expectValidHeadings(res.text);
    });

    it('should keep the JSON error body for API clients', async () => {
      const res = await request(t.app.getHttpServer())
        .get('/nope')
        .set('Accept', 'application/json');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        statusCode: 404,
        message: 'Cannot GET /nope',
        error: 'Not Found',
      });
    });

    it('should give a refused form its own title, and language links to a page that exists', async () => {
      const res = await susan.agent
        .post('/auth/logout')
        .set('Accept', 'text/html')
        .type('form')
        .send({ csrf_token: 'forged' });
      expect(res.status).toBe(403);
      expect(titleOf(res.text)).toBe('Access denied - Microblog');
      expect(res.text).toMatch(/<h1[^>]*>Access denied<\/h1>/);
      expect(res.text).toContain('The form has expired or was not sent from this site.');
      expectValidHeadings(res.text);
      const links = languageLinks(res.text);
      expect(links).toEqual({ es: '/?lang=es', ru: '/?lang=ru' });
      const spanish = await susan.get(links.es);
      expect(spanish.status).toBe(200);
      expect(titleOf(spanish.text)).toBe('Inicio - Microblog');
      await susan.get('/?lang=en');
    });
  });

  describe('language links after a form post', () => {
    it.each([
      ['/auth/login', '/auth/login?lang=es'],
      ['/auth/login?next=%2Fexplore%3Fq%3Dal', '/auth/login?next=%2Fexplore%3Fq%3Dal&lang=es'],
    ])('should lead from a refused login at %s to the login page', async (action, link) => {
      const browser = new BrowserSession(t.app);
      const res = await browser.submit('/auth/login', action, {
        username: 'susan',
        password: 'wrong password',
      });
      expect(res.status).toBe(400);
      expect(languageLinks(res.text).es).toBe(link);
      const spanish = await browser.get(link);
      expect(spanish.status).toBe(200);
      expect(spanish.text).toContain('<html lang="es"');
      expect(spanish.text).toContain('Ingresar');
      expect(spanish.text).toContain('name="username"');
    });
  });
});
