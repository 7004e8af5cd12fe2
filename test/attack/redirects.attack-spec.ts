import fc from 'fast-check';
import { Follow } from '../../src/follows/follow.entity';
import { Post } from '../../src/posts/post.entity';
import { PostsService } from '../../src/posts/posts.service';
import { User } from '../../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from '../factories/user.factory';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { createTestApp, TestApp } from '../utils/test-app';

const SITE = 'https://app.example';

/**
 * Known open-redirect payloads (the value the server reads from ?next=): protocol-relative and
 * absolute URLs, backslashes, dot segments and encoded dots that normalise into "//host", tabs
 * and newlines a browser drops, encoded slashes, userinfo and odd schemes.
 */
const OPEN_REDIRECTS = [
  '//evil.example',
  '//evil.example/x',
  '///evil.example',
  '////evil.example',
  '/\\evil.example',
  '\\/evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '//\\evil.example',
  '/\\\\evil.example',
  'https://evil.example/',
  'http://evil.example',
  'HTTPS://evil.example',
  'https:evil.example',
  'https:/evil.example',
  'https:/\\evil.example',
  '//evil.example@app.example',
  '//app.example@evil.example',
  'https://app.example@evil.example',
  '//evil.example%00.app.example',
  '//evil%E3%80%82example',
  '〱evil.example',
  '/.//evil.example',
  '/./\\evil.example',
  '/x/..//evil.example',
  '/x/../\\evil.example',
  '/../..//evil.example',
  '/%2e//evil.example',
  '/%2E//evil.example',
  '/%2e%2e//evil.example',
  '/x/%2e%2e//evil.example',
  '/.%2e//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r/evil.example',
  '/.\t//evil.example',
  '/\t\t/evil.example',
  '\t//evil.example',
  ' //evil.example',
  '/\u0000/evil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/%2f/evil.example',
  '/%2F%2Fevil.example',
  '/%5cevil.example',
  '/%5c%5cevil.example',
  '%2f%2fevil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  '/' + 'x'.repeat(5000) + '/..//evil.example',
];

/** Where a browser goes with this Location: must be this site. */
function expectSameSite(location: string | undefined) {
  expect(typeof location).toBe('string');
  const target = location as string;
  expect(target).toMatch(/^\/(?![/\\])/);
  expect(new URL(target, `${SITE}/auth/login?next=x`).origin).toBe(SITE);
}

/** Where the login form posts to, as a browser resolves its action. */
function formAction(html: string): string {
  const action = /<form method="post" action="([^"]*)"/.exec(html)?.[1] ?? '';
  const decoded = action
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&')
    .replace(/&#x27;/g, "'");
  const url = new URL(decoded, `${SITE}/auth/login`);
  expect(url.origin).toBe(SITE);
  return url.pathname + url.search;
}

/** Finding 1: no ?next= sends a browser off the site after login. */
describe('Attack: open redirects after login', () => {
  let t: TestApp;
  let loggedIn: BrowserSession;

  beforeAll(async () => {
    t = await createTestApp();
    await createUser(t.app, 'john');
    loggedIn = new BrowserSession(t.app);
    await loggedIn.login('john', DEFAULT_PASSWORD);
  });

  afterAll(() => t.close());

  const next = (payload: string) => `next=${encodeURIComponent(payload)}`;

  // Each login costs an argon2 verification (~0.3 s): the finding's payloads and one of each
  // kind go through a real login; the whole corpus through the same check when logged in.
  it.each([
    '/.//evil.example',
    '/x/..//evil.example',
    '/%2e//evil.example',
    '//evil.example',
    '/\\evil.example',
    'https://evil.example/',
    '/\t/evil.example',
    '/%2F/evil.example',
    'javascript:alert(1)',
  ])('should keep a real login on the site for next=%j', async (payload) => {
    const browser = new BrowserSession(t.app);
    const form = await browser.get(`/auth/login?${next(payload)}`);
    expect(form.status).toBe(200);
    const login = await browser.agent
      .post(`/auth/login?${next(payload)}`)
      .type('form')
      .send({ csrf_token: csrfTokenOf(form.text), username: 'john', password: DEFAULT_PASSWORD });
    expect(login.status).toBe(302);
    expect(login.headers.location).toBe('/');
  });

  it.each(['/%2F/evil.example', '/%5C%5Cevil.example', '/x?y=1&next=//evil.example#z'])(
    'should keep the login form, submitted as a browser does, on the site for next=%j',
    async (payload) => {
      const browser = new BrowserSession(t.app);
      const form = await browser.get(`/auth/login?${next(payload)}`);
      const login = await browser.agent
        .post(formAction(form.text))
        .type('form')
        .send({ csrf_token: csrfTokenOf(form.text), username: 'john', password: DEFAULT_PASSWORD });
      expect(login.status).toBe(302);
      expectSameSite(login.headers.location);
    },
  );

  it.each(OPEN_REDIRECTS.map((p) => [JSON.stringify(p).slice(0, 60), p]))(
    'should keep a logged-in visit of the login page on the site for next=%s',
    async (_name, payload) => {
      const res = await loggedIn.get(`/auth/login?${next(payload)}`);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/');
    },
  );

  it('should still send people back to the page they asked for', async () => {
    const res = await loggedIn.get(`/auth/login?${next('/user/john?tab=1')}`);
    expect(res.headers.location).toBe('/user/john?tab=1');
  });

  it('should keep any generated ?next= on the site, logged in or at the form', async () => {
    const piece = fc.constantFrom(
      '/',
      '\\',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\t',
      '\n',
      '%09',
      'evil.example',
      'x',
      ':',
      '@',
      '?',
      '#',
      'https:',
      ' ',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
          fc.string({ unit: 'grapheme', maxLength: 40 }),
        ),
        async (payload) => {
          const res = await loggedIn.get(`/auth/login?${next(payload)}`);
          expect(res.status).toBe(302);
          expectSameSite(res.headers.location);

          const form = await new BrowserSession(t.app).get(`/auth/login?${next(payload)}`);
          expect(form.status).toBe(200);
          formAction(form.text);
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** The layout's empty icon (no request for /favicon.ico): a data: URL, not a link anywhere. */
const SITE_FAVICON = '<link rel="icon" href="data:,">';

/** Every link to another page, as a browser resolves it (not "#main": the page itself). */
function hrefsOf(html: string): string[] {
  return [...html.replace(SITE_FAVICON, '').matchAll(/\shref="([^"#][^"]*)"/g)].map((m) =>
    m[1].replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'),
  );
}

/** Finding 11: the language links (and every other link) of any page stay on the site. */
describe('Attack: links built from the requested path', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  const page = (path: string) => new BrowserSession(t.app).get(path);

  it.each([
    '//evil.example/x',
    '//evil.example/x?lang=es',
    '///evil.example/x',
    '/.//evil.example/x',
    '//evil.example/%2e%2e/x',
    '/%2F/evil.example/x',
    '/%5C/evil.example/x',
  ])('should link the languages of the 404 page for %s to this site', async (path) => {
    const res = await page(path);
    expect(res.status).toBe(404);
    const links = hrefsOf(res.text);
    expect(links).toContain('/?lang=ru');
    for (const href of links) {
      expectSameSite(href);
      expect(href).not.toContain('evil.example');
    }
  });

  it('should keep the current page and query when switching language', async () => {
    const res = await page('/auth/register?x=1&lang=ru');
    expect(hrefsOf(res.text)).toEqual(
      expect.arrayContaining(['/auth/register?x=1&lang=en', '/auth/register?x=1&lang=es']),
    );
    const missing = await page('/no/such/page?q=a%2Fb');
    expect(missing.status).toBe(404);
    expect(hrefsOf(missing.text)).toContain('/no/such/page?q=a%2Fb&lang=es');
  });

  it('should only ever link to this site, whatever path was asked for', async () => {
    const piece = fc.constantFrom(
      '/',
      '//',
      '.',
      '..',
      '%2e',
      '%2f',
      '%5c',
      '%09',
      'evil.example',
      'x',
      '@',
      ':',
      '?',
      '&',
      'lang=',
      'es',
      '#',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 1, maxLength: 10 }).map((parts) => '/' + parts.join('')),
        async (path) => {
          const res = await page(path);
          expect(res.status).toBeLessThan(500);
          for (const href of hrefsOf(res.text)) {
            expectSameSite(href);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** The microblog's forms go back to a hidden `next`: a path of this site, or their own page. */
describe('Attack: open redirects after the follow, unfollow and post forms', () => {
  let t: TestApp;
  let john: User;
  let browser: BrowserSession;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    john = await createUser(t.app, 'john');
    await createUser(t.app, 'susan');
    browser = new BrowserSession(t.app);
    await browser.login('susan', DEFAULT_PASSWORD);
    token = csrfTokenOf((await browser.get('/user/john')).text);
  });

  afterAll(() => t.close());

  const submit = (action: string, fields: Record<string, string>) =>
    browser.agent
      .post(action)
      .set('Accept', 'text/html')
      .type('form')
      .send({ csrf_token: token, ...fields });

  /** The delete form of a new post of susan's. */
  async function deletePath(): Promise<string> {
    const susan = await t.dataSource.getRepository(User).findOneByOrFail({ username: 'susan' });
    const post = await t.app.get(PostsService).create(susan, 'to be deleted');
    return `/posts/${post.id}/delete`;
  }

  /** Each form, and where it goes when `next` is not a path of this site. */
  const forms: [string, () => Promise<string>, string, Record<string, string>][] = [
    ['follow', () => Promise.resolve('/user/john/follow'), '/user/john', {}],
    ['unfollow', () => Promise.resolve('/user/john/unfollow'), '/user/john', {}],
    ['post', () => Promise.resolve('/posts'), '/', { post: 'redirected' }],
    ['post delete', deletePath, '/', {}],
  ];

  it.each(OPEN_REDIRECTS.map((p) => [JSON.stringify(p).slice(0, 60), p]))(
    'should keep every form on its own page for next=%s',
    async (_name, payload) => {
      const observed = [];
      for (const [form, action, , fields] of forms) {
        const res = await submit(await action(), { ...fields, next: payload });
        observed.push([form, res.status, res.headers.location]);
      }
      expect(observed).toEqual(forms.map(([form, , fallback]) => [form, 302, fallback]));
    },
  );

  it('should still send people back to the page of the site they came from', async () => {
    const next = '/user/john/followers?page=2#people';
    const observed = [];
    for (const [form, action, , fields] of forms) {
      const res = await submit(await action(), { ...fields, next });
      observed.push([form, res.status, res.headers.location]);
    }
    expect(observed).toEqual(forms.map(([form]) => [form, 302, next]));
    // Every form did its work: the follow (undone by the unfollow), the post, the delete.
    expect(await t.dataSource.getRepository(Follow).countBy({ followedId: john.id })).toBe(0);
    expect(await t.dataSource.getRepository(Post).countBy({ body: 'redirected' })).toBeGreaterThan(
      0,
    );
    expect(await t.dataSource.getRepository(Post).countBy({ body: 'to be deleted' })).toBe(0);
  });

  it('should keep any generated next of the follow form on the site', async () => {
    const piece = fc.constantFrom(
      '/',
      '\\',
      '.',
      '..',
      '%2e',
      '%2f',
      '%5c',
      '\t',
      '\n',
      '%09',
      'evil.example',
      'x',
      ':',
      '@',
      '?',
      '#',
      'https:',
      ' ',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
          fc.string({ unit: 'grapheme', maxLength: 40 }),
        ),
        async (payload) => {
          const res = await submit('/user/john/follow', { next: payload });
          expect(res.status).toBe(302);
          expectSameSite(res.headers.location);
        },
      ),
      { numRuns: 150 },
    );
  });
});
