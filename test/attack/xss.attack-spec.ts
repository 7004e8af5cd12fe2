import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { UnsubscribeLinks } from '../../src/digests/unsubscribe-links';
import { FollowsService } from '../../src/follows/follows.service';
import { MailSender } from '../../src/mail/mail-sender.service';
import { OutboundEmail } from '../../src/mail/outbound-email.entity';
import { Message } from '../../src/messages/message.entity';
import { NotificationGroup } from '../../src/notifications/notification-group.entity';
import { PostFanoutService } from '../../src/posts/post-fanout.service';
import { Post } from '../../src/posts/post.entity';
import { TimelineEntry } from '../../src/posts/timeline-entry.entity';
import { Role, User } from '../../src/users/user.entity';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { BrowserSession } from '../utils/browser-session';
import { SseClient } from '../utils/sse-client';
import { createTestApp, TestApp } from '../utils/test-app';
import { hbsEscape, rawGet } from './attack-helpers';

/**
 * Script injection payloads, each short enough for about me and a message (140 characters):
 * tags, attribute break-outs, javascript: URLs, template syntax, a textarea break-out, text
 * that is already escaped, and Unicode look-alikes, invisibles and direction overrides.
 */
const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '" autofocus onfocus="alert(1)',
  'javascript:alert(1)',
  '<a href="javascript:alert(1)">click</a>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  "{{constructor.constructor('alert(1)')()}}",
  "{{t 'common.app_name'}}",
  '{{{body}}} {{> navbar}}',
  '`${alert(1)}`',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&#60;script&#62;alert(1)&#60;/script&#62;',
  '<img src=x onerror=&#97;lert(1)>',
  '<style>*{background:url(//evil.example/x)}</style>',
  '<base href="//evil.example/">',
  '<!-- <meta http-equiv="refresh" content="0;url=//evil.example">',
  ']]><![CDATA[<script>alert(1)</script>',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  '＜script＞alert(1)＜/script＞',
  '<scr\u200bipt>alert(1)</scr\u200bipt>',
  'x\u202e<script>alert(1)</script>',
  'x\u2028<script>alert(1)</script>\u2029y',
  '<\u0338script>alert(1)<\u0338/script>',
  'x\ufeff<svg/onload=alert(1)>',
];

/** The layout's empty icon (no request for /favicon.ico): the one data: URL of the site. */
const SITE_FAVICON = '<link rel="icon" href="data:,">';

/** Payloads a browser could not read as markup if they were copied into the page as they are. */
const needsEscaping = (payload: string) => /[<>"'`&=]/.test(payload);

/** Every element the site's templates use; anything else in a page was injected. */
const SITE_TAGS = new Set(
  'a article blockquote body br button div fieldset footer form h1 h2 head html img input label legend li link main mark meta nav ol p path script section span strong svg textarea time title ul'.split(
    ' ',
  ),
);
/** The navbar's bell icon: the one inline SVG of the site, and the attributes it has. */
const SVG_ATTRIBUTES: Record<string, string[]> = {
  svg: ['aria-hidden', 'width', 'height', 'viewbox', 'fill', 'class'],
  path: ['d'],
};
const SITE_SCRIPTS = [
  '/vendor/bootstrap/js/bootstrap.bundle.min.js',
  '/static/js/notifications.js',
  '/static/js/forms.js',
  '/static/js/conversation.js',
  '/static/js/conversation-list.js',
  '/static/js/profile-card.js',
  '/static/js/timeline.js',
  '/static/js/notification-center.js',
];

const HTML_ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#x60;': '`',
  '&#x3D;': '=',
};

/** Attribute or element text as the browser reads it (the entities Handlebars writes). */
function decodeEntities(text: string): string {
  // One pass: "&amp;#60;" is the text "&#60;", not "<".
  return text.replace(
    /&(?:amp|lt|gt|quot|#x27|#x60|#x3D);|&#(x[0-9a-f]+|\d+);?/gi,
    (entity, code: string | undefined) =>
      code === undefined
        ? HTML_ENTITIES[entity]
        : String.fromCodePoint(
            code[0].toLowerCase() === 'x' ? parseInt(code.slice(1), 16) : Number(code),
          ),
  );
}

/** What in `html` is not the site's own markup: unknown elements, handlers, script URLs. */
function injectedMarkup(html: string): string[] {
  const problems: string[] = [];
  if (html.includes('<!--') || html.includes('<![CDATA[')) {
    problems.push('a comment or CDATA section');
  }
  for (const [tag, name, attributeText] of html.matchAll(/<([a-zA-Z][\w:-]*)([^>]*)>/g)) {
    const lower = name.toLowerCase();
    if (tag === SITE_FAVICON) {
      continue;
    }
    const attributes = [
      ...attributeText.matchAll(/([^\s"'=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g),
    ].map(([, attribute, double, single, bare]) => ({
      name: attribute.toLowerCase(),
      value: decodeEntities(double ?? single ?? bare ?? ''),
    }));
    const problem =
      !SITE_TAGS.has(lower) ||
      attributes.some(
        (a) =>
          a.name.startsWith('on') ||
          ['autofocus', 'srcdoc', 'http-equiv', 'formaction'].includes(a.name) ||
          // The unread badge's visibility is the one inline style of the site.
          (a.name === 'style' && !/^visibility: (?:visible|hidden)$/.test(a.value)),
      ) ||
      attributes.some(
        (a) =>
          ['href', 'src', 'action', 'xlink:href', 'content'].includes(a.name) &&
          /^\s*(?:javascript|data|vbscript):/i.test(a.value),
      ) ||
      (lower === 'script' && !SITE_SCRIPTS.some((src) => attributeText.includes(`src="${src}"`))) ||
      (lower === 'img' && !/^\s+src="\/avatars\//.test(attributeText)) ||
      (lower in SVG_ATTRIBUTES && attributes.some((a) => !SVG_ATTRIBUTES[lower].includes(a.name)));
    if (problem) {
      problems.push(tag);
    }
  }
  return problems;
}

/** The directives of a Content-Security-Policy header. */
function cspDirectives(header: unknown): Record<string, string[]> {
  return Object.fromEntries(
    (typeof header === 'string' ? header : '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name.toLowerCase(), values.map((v) => v.toLowerCase())]),
  );
}

const UNSAFE_SCRIPT_SOURCES = [
  "'unsafe-inline'",
  "'unsafe-eval'",
  "'unsafe-hashes'",
  "'wasm-unsafe-eval'",
  '*',
  'data:',
  'blob:',
  'http:',
  'https:',
];

/** Scripts only from the site itself, and none inline (elements or attributes). */
function expectStrictScriptPolicy(where: string, header: unknown) {
  const csp = cspDirectives(header);
  const scriptSources = csp['script-src'] ?? csp['default-src'] ?? ['(none: anything goes)'];
  expect([where, scriptSources.filter((s) => UNSAFE_SCRIPT_SOURCES.includes(s))]).toEqual([
    where,
    [],
  ]);
  expect([where, scriptSources]).toEqual([where, ["'self'"]]);
  expect([where, csp['script-src-attr']]).toEqual([where, ["'none'"]]);
  expect([where, csp['object-src']]).toEqual([where, ["'none'"]]);
  expect([where, csp['base-uri']]).toEqual([where, ["'self'"]]);
}

interface PageResponse {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

/** An HTML page: strict script policy, no sniffing, and nothing but the site's own markup. */
function expectSafePage(where: string, res: PageResponse) {
  expect([where, res.headers['content-type']]).toEqual([
    where,
    expect.stringMatching(/^text\/html; charset=utf-8$/i),
  ]);
  expect([where, res.headers['x-content-type-options']]).toEqual([where, 'nosniff']);
  expectStrictScriptPolicy(where, res.headers['content-security-policy']);
  expect([where, injectedMarkup(res.text)]).toEqual([where, []]);
}

/** The page shows `payload` as text: escaped where it has to be, and never as it is. */
function expectShownAsText(where: string, html: string, payload: string) {
  expect([where, html.includes(hbsEscape(payload))]).toEqual([where, true]);
  if (needsEscaping(payload)) {
    expect([where, html.includes(payload)]).toEqual([where, false]);
  }
}

/** The page does not carry `payload` as it is (it may drop or encode it). */
function expectNotRaw(where: string, html: string, payload: string) {
  if (needsEscaping(payload)) {
    expect([where, html.includes(payload)]).toEqual([where, false]);
  }
}

/** The text of the page's textarea named `name`, as the browser reads it. */
function textareaText(html: string, name: string): string | undefined {
  const match = new RegExp(
    `<textarea id="${name}" name="${name}"[^>]*>([\\s\\S]*?)</textarea>`,
  ).exec(html);
  return match ? decodeEntities(match[1]) : undefined;
}

const cases = PAYLOADS.map((payload) => [JSON.stringify(payload), payload]);

/**
 * Post bodies that try to turn the link and mention rendering against the page: quotes and
 * markup inside URLs, script URLs next to real ones, mentions glued to markup, and a link long
 * enough for its text to be cut (never inside an escape).
 */
const LINK_PAYLOADS = [
  'https://evil.example/"onmouseover="alert(1)',
  "https://evil.example/'onmouseover='alert(1)'",
  'https://evil.example/`onmouseover=alert(1)`',
  'https://evil.example/<script>alert(1)</script>',
  'https://evil.example/?q="><img src=x onerror=alert(1)>',
  'https://evil.example/&quot;onmouseover=&quot;alert(1)',
  'https://evil.example/&#34;onmouseover=alert(1)',
  'https://evil.example/ "autofocus onfocus="alert(1)',
  '(https://evil.example/a)"onclick="alert(1)',
  'https://javascript:alert(1)@evil.example/',
  'javascript:alert(1)//https://evil.example/',
  'JaVaScRiPt:alert(1) javascript://https://evil.example/%0aalert(1)',
  'data:text/html,<script>alert(1)</script> https://x.example/',
  'xhttps://evil.example/"><b>bold</b>',
  'https://evil.example/\u202e"><svg onload=alert(1)>',
  `https://evil.example/${'a'.repeat(36)}&<>"'\`=${'b'.repeat(20)}`,
  '@bob"><script>alert(1)</script>',
  '@bob" onmouseover="alert(1)',
  '@<script>alert(1)</script>',
  '@bob@evil.example <b>x</b>',
  '@bob/../../admin @bob?x=<i>y</i>',
  '@alice @bob @root https://evil.example/@bob"',
];

describe('Attack: script injection in everything a page shows', () => {
  let t: TestApp;
  let alice: User;
  let bob: User;
  let alicesBrowser: BrowserSession;
  let bobsBrowser: BrowserSession;
  let adminBearer: string;

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    alice = await createUser(t.app, 'alice');
    bob = await createUser(t.app, 'bob');
    const root = await createUser(t.app, 'root', { role: Role.Admin });
    adminBearer = `Bearer ${(await t.app.get(AuthService).issueToken(root, false)).token}`;
    alicesBrowser = new BrowserSession(t.app);
    await alicesBrowser.login('alice', DEFAULT_PASSWORD);
    bobsBrowser = new BrowserSession(t.app);
    await bobsBrowser.login('bob', DEFAULT_PASSWORD);
  });

  afterAll(() => t.close());

  async function page(browser: BrowserSession, path: string, status = 200) {
    const res = await browser.get(path);
    expect([path, res.status]).toEqual([path, status]);
    expectSafePage(path, res);
    return res.text;
  }

  it('should have checks that catch markup a payload slipped into a page', () => {
    const page = (body: string) =>
      `<html><body><main><p>${body}</p></main><script src="/static/js/notifications.js"></script></body></html>`;
    expect(injectedMarkup(page('&lt;script&gt;'))).toEqual([]);
    expect(injectedMarkup(page('<input value="&quot; autofocus onfocus&#x3D;&quot;x">'))).toEqual(
      [],
    );
    for (const slipped of [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<p onclick="alert(1)">',
      '<input value="" autofocus onfocus="alert(1)">',
      '<a href=" javascript:alert(1)">',
      '<a href="&#x6a;avascript:alert(1)">',
      '<svg/onload=alert(1)>',
      '<span style="background:url(x)">',
      '<!-- x',
      '<svg onload="alert(1)">',
      '<svg><path d="M0" onclick="alert(1)"/></svg>',
      '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
      '<svg xmlns:xlink="x"><a xlink:href="javascript:alert(1)">x</a></svg>',
      '<a href="https://evil.example/" onmouseover="alert(1)">x</a>',
      '<blockquote onclick="alert(1)">',
    ]) {
      expect([slipped, injectedMarkup(page(slipped)).length > 0]).toEqual([slipped, true]);
    }
    expect(() =>
      expectStrictScriptPolicy('test', "default-src 'self'; script-src 'self' 'unsafe-inline'"),
    ).toThrow();
  });

  describe('about me', () => {
    it.each(cases)(
      'should show %s escaped on the profile, the user lists and the profile form',
      async (_name, payload) => {
        const saved = await alicesBrowser.submit('/edit_profile', '/edit_profile', {
          username: 'alice',
          about_me: payload,
        });
        expect(saved.status).toBe(302);
        const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: alice.id });
        expect(stored.aboutMe).toBe(payload);
        // Explore lists posts, and people only when searched for.
        for (const path of ['/user/alice', '/explore?q=ali', '/user/alice/card']) {
          expectShownAsText(path, await page(bobsBrowser, path), payload);
        }
        for (const path of ['/explore', '/']) {
          expectNotRaw(path, await page(bobsBrowser, path), payload);
        }
        const form = await page(alicesBrowser, '/edit_profile');
        expect(textareaText(form, 'about_me')).toBe(payload);
      },
    );

    it.each(cases)(
      'should show %s escaped when an admin set it through the API',
      async (_name, payload) => {
        const patched = await request(t.app.getHttpServer())
          .patch(`/api/admin/users/${alice.id}`)
          .set('Authorization', adminBearer)
          .send({ about_me: payload });
        expect(patched.status).toBe(200);
        expect(patched.headers['content-type']).toMatch(/^application\/json/);
        expectShownAsText('/user/alice', await page(bobsBrowser, '/user/alice'), payload);
      },
    );

    it.each(cases)(
      'should show %s escaped in the refused profile form, next to a refused username',
      async (_name, payload) => {
        const res = await alicesBrowser.submit('/edit_profile', '/edit_profile', {
          username: payload,
          about_me: payload,
        });
        expect(res.status).toBe(400);
        expectSafePage('POST /edit_profile', res);
        expect(res.text).toContain(`value="${hbsEscape(payload.trim())}"`);
        expect(textareaText(res.text, 'about_me')).toBe(payload);
        expectNotRaw('POST /edit_profile', res.text, payload);
      },
    );
  });

  describe('messages', () => {
    // One message in the inbox at a time: an earlier payload, escaped, can look like a later one.
    beforeEach(() => t.dataSource.getRepository(Message).clear());

    it.each(cases)(
      'should show %s escaped in the inbox, the conversation lists, the threads, the live fragment and the sent view',
      async (_name, payload) => {
        const sent = await alicesBrowser.submit('/send_message/bob', '/send_message/bob', {
          message: payload,
        });
        expect(sent.status).toBe(302);
        expect(
          await t.dataSource.getRepository(Message).countBy({ body: payload, senderId: alice.id }),
        ).toBe(1);
        const views: [BrowserSession, string][] = [
          [bobsBrowser, '/messages'],
          [bobsBrowser, '/conversations'],
          [alicesBrowser, '/conversations'],
          [bobsBrowser, '/conversations/alice'],
          [alicesBrowser, '/conversations/bob'],
          [bobsBrowser, '/conversations/alice/messages?after=0'],
          [alicesBrowser, '/messages/sent'],
        ];
        for (const [browser, path] of views) {
          expectShownAsText(path, await page(browser, path), payload);
        }
      },
    );

    it.each(cases)(
      'should keep %s out of the blocked list and the redirects of the block forms',
      async (_name, payload) => {
        const blocked = await alicesBrowser.submit('/blocked', '/user/bob/block', {
          next: payload,
        });
        expect([blocked.status, blocked.headers.location]).toEqual([302, '/user/bob']);
        const list = await page(alicesBrowser, `/blocked?page=${encodeURIComponent(payload)}`);
        expect(list).toContain('action="/user/bob/unblock"');
        expectNotRaw('/blocked', list, payload);
        const unblocked = await alicesBrowser.submit('/blocked', '/user/bob/unblock', {
          next: payload,
        });
        expect([unblocked.status, unblocked.headers.location]).toEqual([302, '/user/bob']);
        const name = encodeURIComponent(payload);
        const unknown = await alicesBrowser.submit('/blocked', `/user/${name}/block`, {});
        expect(unknown.status).toBe(404);
        expectSafePage('POST /user/:name/block', unknown);
        expectNotRaw('POST /user/:name/block', unknown.text, payload);
      },
    );

    it.each(cases)(
      'should keep %s escaped in the refused send form (too long)',
      async (_name, payload) => {
        const text = `${payload} ${'x'.repeat(141)}`;
        const res = await alicesBrowser.submit('/send_message/bob', '/send_message/bob', {
          message: text,
        });
        expect(res.status).toBe(400);
        expectSafePage('POST /send_message/bob', res);
        expect(textareaText(res.text, 'message')).toBe(text);
        expectNotRaw('POST /send_message/bob', res.text, payload);
      },
    );
  });

  describe('posts', () => {
    let postingBrowser: BrowserSession;

    beforeAll(async () => {
      // Bob follows alice: her posts reach his home timeline too.
      await t.app.get(FollowsService).follow(bob, alice);
      postingBrowser = alicesBrowser;
    });

    // One post on the pages at a time: an earlier payload, escaped, can look like a later one.
    beforeEach(async () => {
      for (const entity of [NotificationGroup, TimelineEntry, Post]) {
        await t.dataSource.createQueryBuilder().delete().from(entity).execute();
      }
    });

    /** Alice posts `body` through the form; it is stored as sent and delivered to bob. */
    async function postAsAlice(body: string): Promise<Post> {
      const res = await postingBrowser.submit('/', '/posts', { post: body });
      expect([body, res.status]).toEqual([body, 302]);
      const stored = await t.dataSource.getRepository(Post).findOneByOrFail({ authorId: alice.id });
      expect(stored.body).toBe(body);
      await t.app.get(PostFanoutService).deliver(stored.id);
      return stored;
    }

    /** Every place a post shows: the timelines, the profile, the live fragment. */
    const postViews = (post: Post): [BrowserSession, string][] => [
      [bobsBrowser, '/'],
      [bobsBrowser, '/explore'],
      [bobsBrowser, '/user/alice'],
      [bobsBrowser, `/posts/live?ids=${post.id}`],
      [alicesBrowser, '/'],
      [alicesBrowser, `/posts/live?ids=${post.id}`],
    ];

    /** The links inside the page's post bodies, as a browser reads their attributes. */
    function postLinks(html: string) {
      const bodies = [
        ...html.matchAll(
          /<(?:p|blockquote) class="[^"]*post-body">([\s\S]*?)<\/(?:p|blockquote)>/g,
        ),
      ].map((m) => m[1]);
      expect(bodies.length).toBeGreaterThan(0);
      return bodies.flatMap((body) =>
        [...body.matchAll(/<a ([^>]*)>/g)].map((m) =>
          Object.fromEntries(
            [...m[1].matchAll(/([a-z-]+)="([^"]*)"/g)].map(([, name, value]) => [
              name,
              decodeEntities(value),
            ]),
          ),
        ),
      );
    }

    /** Links in posts go to http(s) URLs (nofollow, a new tab) or to the site's profiles. */
    function expectSafePostLinks(where: string, html: string) {
      for (const link of postLinks(html)) {
        if (link.class === 'mention') {
          expect([where, link.href]).toEqual([where, expect.stringMatching(/^\/user\/[\w.-]+$/)]);
        } else {
          expect([where, new URL(link.href).protocol]).toEqual([
            where,
            expect.stringMatching(/^https?:$/),
          ]);
          expect([where, link.rel, link.target]).toEqual([
            where,
            'nofollow noopener ugc',
            '_blank',
          ]);
        }
      }
    }

    it.each(cases)(
      'should show %s escaped in a post, on the timelines, the profile and the live fragment',
      async (_name, payload) => {
        const post = await postAsAlice(payload);
        for (const [browser, path] of postViews(post)) {
          const html = await page(browser, path);
          expectShownAsText(path, html, payload);
          expectSafePostLinks(path, html);
        }
      },
    );

    it.each(cases)(
      'should show %s escaped in the search results, the words found marked',
      async (_name, payload) => {
        await postAsAlice(`searchable ${payload} searchable`);
        const path = '/search?q=searchable';
        const html = await page(bobsBrowser, path);
        expectShownAsText(path, html, payload);
        expectSafePostLinks(path, html);
        expect(html).toContain('<mark>searchable</mark>');
      },
    );

    it.each(cases)(
      "should show %s escaped next to a mention, in the mentioned user's notification center",
      async (_name, payload) => {
        await postAsAlice(`@bob ${payload}`);
        const center = await page(bobsBrowser, '/notifications/center');
        expectShownAsText('/notifications/center', center, payload);
        // The center quotes the post as text: the mention is no link there.
        expect(center).toContain('data-kind="mention"');
        expect(center).toContain('post-body">@bob ');
        expectSafePostLinks('/notifications/center', center);
      },
    );

    it.each(LINK_PAYLOADS.map((payload) => [JSON.stringify(payload), payload]))(
      'should render the links and mentions of %s as safe links only',
      async (_name, payload) => {
        const post = await postAsAlice(payload);
        for (const [browser, path] of [
          ...postViews(post),
          [bobsBrowser, '/notifications/center'] as [BrowserSession, string],
        ]) {
          const html = await page(browser, path);
          expectNotRaw(path, html, payload);
          if (path !== '/notifications/center') {
            expectSafePostLinks(path, html);
          }
        }
      },
    );

    it('should have link checks that catch a link a post must not have', () => {
      const body = (links: string) => `<p class="mb-0 post-body">${links}</p>`;
      expect(() =>
        expectSafePostLinks(
          'ok',
          body('<a href="https://x.example/" rel="nofollow noopener ugc" target="_blank">x</a>'),
        ),
      ).not.toThrow();
      for (const bad of [
        '<a href="javascript:alert(1)" rel="nofollow noopener ugc" target="_blank">x</a>',
        '<a href="https://x.example/" target="_blank">x</a>',
        '<a href="//evil.example/" class="mention">@x</a>',
        '<a href="data:text/html,x" rel="nofollow noopener ugc" target="_blank">x</a>',
      ]) {
        expect([
          bad,
          (() => {
            try {
              expectSafePostLinks(bad, body(bad));
              return false;
            } catch {
              return true;
            }
          })(),
        ]).toEqual([bad, true]);
      }
    });

    it.each(cases)(
      'should keep %s escaped in the refused post form (141 characters)',
      async (_name, payload) => {
        const text = `${payload} ${'x'.repeat(141)}`;
        const res = await postingBrowser.submit('/', '/posts', { post: text });
        expect(res.status).toBe(400);
        expectSafePage('POST /posts', res);
        expect(textareaText(res.text, 'post')).toBe(text);
        expectNotRaw('POST /posts', res.text, payload);
        expect(await t.dataSource.getRepository(Post).count()).toBe(0);
      },
    );

    it.each(cases)(
      'should keep %s in the hidden next field of the follow, unfollow and post forms out of the redirect',
      async (_name, payload) => {
        const post = await postAsAlice('a post to delete');
        const attempts: [string, string, Record<string, string>][] = [
          ['/user/alice', '/user/alice/unfollow', { next: payload }],
          ['/user/alice', '/user/alice/follow', { next: `/${payload}` }],
          ['/', '/posts', { post: 'posted', next: payload }],
          ['/', `/posts/${post.id}/delete`, { next: `/${payload}` }],
        ];
        for (const [formPage, action, fields] of attempts) {
          const browser = action.startsWith('/user/') ? bobsBrowser : alicesBrowser;
          const res = await browser.submit(formPage, action, fields);
          expect([action, res.status]).toEqual([action, 302]);
          const location = String(res.headers.location);
          // A path of this site, with nothing a page could read as markup.
          expect([action, location]).toEqual([action, expect.stringMatching(/^\/(?![/\\])/)]);
          expect([action, /[<>"\s`]/.test(location)]).toEqual([action, false]);
          expect([action, new URL(location, 'https://app.example/x').origin]).toEqual([
            action,
            'https://app.example',
          ]);
        }
      },
    );
  });

  describe('usernames', () => {
    it.each(cases)(
      'should show %s escaped in the refused registration and login forms',
      async (_name, payload) => {
        const anonymous = new BrowserSession(t.app);
        const registered = await anonymous.submit('/auth/register', '/auth/register', {
          username: payload,
          email: payload,
          password: 'cat-on-the-mat',
          password2: 'cat-on-the-mat',
        });
        expect(registered.status).toBe(400);
        expectSafePage('POST /auth/register', registered);
        expect(registered.text).toContain(`value="${hbsEscape(payload.trim())}"`);
        expectNotRaw('POST /auth/register', registered.text, payload);

        const login = await anonymous.submit('/auth/login', '/auth/login', {
          username: payload,
          password: 'wrong password',
        });
        expect(login.status).toBe(400);
        expectSafePage('POST /auth/login', login);
        expect(login.text).toContain(`value="${hbsEscape(payload)}"`);
        expectNotRaw('POST /auth/login', login.text, payload);
        expect(await t.dataSource.getRepository(User).count()).toBe(3);
      },
    );

    it.each(cases)(
      'should answer %s as a name in a path with a safe 404 page or a plain picture',
      async (_name, payload) => {
        const name = encodeURIComponent(payload);
        for (const path of [
          `/user/${name}`,
          `/send_message/${name}`,
          `/conversations/${name}`,
          `/conversations/${name}/messages?after=0`,
          `/user/${name}/followers`,
          `/user/${name}/following`,
          `/user/${name}/card`,
        ]) {
          const html = await page(bobsBrowser, path, 404);
          expectNotRaw(path, html, payload);
        }
        for (const action of [`/user/${name}/follow`, `/user/${name}/unfollow`]) {
          const res = await bobsBrowser.submit('/explore', action, {});
          expect([action, res.status]).toEqual([action, 404]);
          expectSafePage(`POST ${action}`, res);
          expectNotRaw(`POST ${action}`, res.text, payload);
        }
        const avatar = await bobsBrowser.get(`/avatars/${name}`);
        expect(avatar.status).toBe(200);
        expect(avatar.headers['content-type']).toMatch(/^image\/svg\+xml/);
        expectStrictScriptPolicy('avatar', avatar.headers['content-security-policy']);
        const svg = (avatar.body as Buffer).toString('utf8');
        expect(svg).not.toMatch(/<script|\son[a-z]+=|<foreignObject|href=/i);
        expect(svg).not.toContain(payload);
      },
    );
  });

  describe('password reset and the email address', () => {
    it.each(cases)(
      'should show %s escaped in the refused forgot-password and address forms',
      async (_name, payload) => {
        const anonymous = new BrowserSession(t.app);
        const forgot = await anonymous.submit('/auth/forgot_password', '/auth/forgot_password', {
          email: payload,
        });
        expect(forgot.status).toBe(400);
        expectSafePage('POST /auth/forgot_password', forgot);
        expect(forgot.text).toContain(`value="${hbsEscape(payload.trim())}"`);
        expectNotRaw('POST /auth/forgot_password', forgot.text, payload);

        const change = await alicesBrowser.submit('/edit_profile/email', '/edit_profile/email', {
          email: payload,
          current_password: DEFAULT_PASSWORD,
        });
        expect(change.status).toBe(400);
        expectSafePage('POST /edit_profile/email', change);
        expect(change.text).toContain(`value="${hbsEscape(payload.trim())}"`);
        expectNotRaw('POST /edit_profile/email', change.text, payload);
      },
    );

    it.each(cases)('should answer %s as a link with a safe page', async (_name, payload) => {
      const anonymous = new BrowserSession(t.app);
      for (const route of ['/auth/reset_password/', '/auth/confirm_email/']) {
        const path = `${route}${encodeURIComponent(payload)}`;
        expectNotRaw(path, await page(anonymous, path, 410), payload);
      }
    });

    it('should escape an address in the HTML part of the confirmation email, and keep it in the text part', async () => {
      const email = "o'brien&co=x@example.com";
      const res = await new BrowserSession(t.app).submit('/auth/register', '/auth/register', {
        username: 'obrien',
        email,
        password: 'cat-on-the-mat',
        password2: 'cat-on-the-mat',
      });
      expect(res.status).toBe(302);
      const queued = await t.dataSource
        .getRepository(OutboundEmail)
        .findOneByOrFail({ toAddress: email });
      expect(queued.htmlBody).toContain(hbsEscape(email));
      expect(queued.htmlBody).not.toContain(email);
      expect(queued.textBody).toContain(email);
      await t.dataSource.getRepository(User).delete({ username: 'obrien' });
      // Delivered before the suite ends: the sender's shutdown wait would hold the process.
      await t.app.get(MailSender).idle();
    });
  });

  describe('query parameters and paths echoed into pages', () => {
    // Nothing stored that an earlier test put there: only the request can carry a payload.
    beforeAll(async () => {
      await t.dataSource.getRepository(Message).clear();
      await t.dataSource.getRepository(User).update({ id: alice.id }, { aboutMe: null });
    });

    it.each(cases)('should never echo %s as it is', async (_name, payload) => {
      const q = encodeURIComponent(payload);
      const anonymous = new BrowserSession(t.app);
      const anonymousPages = [
        `/auth/login?next=${encodeURIComponent(`/${payload}`)}`,
        `/auth/login?next=${q}`,
        `/auth/login?lang=${q}&next=%2Fmessages%3Fx%3D${q}`,
        `/auth/register?page=${q}&lang=${q}`,
      ];
      for (const path of anonymousPages) {
        expectNotRaw(path, await page(anonymous, path), payload);
      }
      const pages = [
        `/?page=${q}&q=${q}`,
        `/explore?page=${q}&x=${q}`,
        `/messages?page=${q}`,
        `/messages/sent?page=${q}`,
        `/conversations?page=${q}`,
        `/conversations/alice?page=${q}`,
        `/blocked?page=${q}`,
        `/user/alice?tab=${q}`,
        `/edit_profile?about_me=${q}`,
        `/explore?q=${q}`,
        `/explore?q=${q}&page=2`,
        `/search?q=${q}`,
        `/search?q=${q}&page=2`,
        `/search?q=${q}%20${'w%20'.repeat(9)}`,
        `/?watch=${q}`,
        `/explore?watch=${q}`,
        `/user/alice?watch=${q}`,
        `/user/alice/followers?page=${q}`,
        `/user/alice/following?page=${q}&x=${q}`,
        `/notifications/center?page=${q}`,
      ];
      for (const path of pages) {
        expectNotRaw(path, await page(bobsBrowser, path), payload);
      }
      const notFound = `/no-such-page/${q}?x=${q}`;
      expectNotRaw(notFound, await page(bobsBrowser, notFound, 404), payload);
      const badAfter = `/conversations/alice/messages?after=${q}`;
      expectNotRaw(badAfter, await page(bobsBrowser, badAfter, 400), payload);
      // The unsubscribe page, for anyone: a link that is not one is refused without echoing it,
      // and a genuine one shows nothing of its query.
      const badLink = `/unsubscribe/${q}`;
      expectNotRaw(badLink, await page(anonymous, badLink, 400), payload);
      const link = `/unsubscribe/${t.app.get(UnsubscribeLinks).token({ userId: alice.id, scope: 'all' })}`;
      expectNotRaw(link, await page(anonymous, `${link}?x=${q}&lang=${q}`), payload);
      // Fragments: the live posts (junk ids are left out) and a card.
      for (const path of [`/posts/live?ids=${q}`, `/user/alice/card?x=${q}`]) {
        expectNotRaw(path, await page(bobsBrowser, path), payload);
      }
      // A page watches what the server says it shows, never what the query asks for.
      for (const [path, watch] of [
        [`/?watch=${q}`, 'home'],
        [`/explore?watch=${q}`, 'explore'],
        [`/user/alice?watch=${q}`, `user:${alice.id}`],
      ]) {
        const html = await page(bobsBrowser, path);
        expect([path, [...html.matchAll(/data-watch="([^"]*)"/g)].map((m) => m[1])]).toEqual([
          path,
          [watch, watch],
        ]);
      }
    });

    it.each(cases)(
      'should keep %s in ?watch= out of the event stream, which opens as any other',
      async (_name, payload) => {
        const res = await rawGet(
          t.baseUrl,
          `/notifications/stream?watch=${encodeURIComponent(payload)}`,
          { Accept: 'text/event-stream', Cookie: await authCookieFor(t.app, bob) },
        );
        expect([res.status, res.headers['content-type']]).toEqual([200, 'text/event-stream']);
        expect(res.body).toMatch(/^\s*id: \nretry: \d+\n\n$/);
      },
    );

    it.each([
      '/no-such-page/"><svg/onload=alert(1)>',
      "/no-such-page/'><script>alert(1)</script>",
      '/user/"><img/src/onerror=alert(1)>',
      '/explore?page="><script>alert(1)</script>',
      '/auth/login?next=/"><script>alert(1)</script>',
    ])('should not echo the unencoded request line %s', async (path) => {
      const res = await rawGet(t.baseUrl, path, { Accept: 'text/html' });
      expect(res.status).toBeLessThan(500);
      if (res.status === 200 || res.status === 404) {
        expectSafePage(path, { ...res, text: res.body });
      }
      const injected = path.slice(path.search(/["']/));
      expect(res.body).not.toContain(injected);
    });

    it('should ignore a flash cookie it did not sign', async () => {
      const forged = JSON.stringify([
        {
          category: 'danger" onmouseover="alert(1)',
          key: '<script>alert("flash")</script>',
          args: { x: '<img src=x onerror=alert(1)>' },
        },
      ]);
      for (const value of [`j:${forged}`, forged, `s:${forged}.forgedsignature`]) {
        const res = await request(t.app.getHttpServer())
          .get('/auth/login')
          .set('Accept', 'text/html')
          .set('Cookie', `mb_flash=${encodeURIComponent(value)}`);
        expect(res.status).toBe(200);
        expectSafePage('/auth/login', res);
        expect(res.text).not.toMatch(/alert|onmouseover|class="alert /);
      }
    });
  });

  describe("an admin's announcement", () => {
    it.each(cases)(
      'should deliver %s as data only: JSON, an event stream and a script that writes text',
      async (_name, payload) => {
        const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
          Cookie: await authCookieFor(t.app, bob),
        });
        try {
          const sent = await request(t.app.getHttpServer())
            .post('/api/admin/notifications')
            .set('Authorization', adminBearer)
            .send({ user: 'all', name: 'announcement', data: { message: payload } });
          expect(sent.status).toBe(201);
          await stream.waitFor((s) =>
            s.events.some(
              (e) =>
                e.name === 'announcement' && (e.data as { message: string }).message === payload,
            ),
          );
          expect(stream.response.headers['content-type']).toBe('text/event-stream');

          const feed = await bobsBrowser.agent
            .get('/notifications?since=0')
            .set('Accept', 'text/html');
          expect(feed.headers['content-type']).toMatch(/^application\/json/);
          expect(feed.headers['x-content-type-options']).toBe('nosniff');
          const announcement = (feed.body as { name: string; data: { message: string } }[]).find(
            (n) => n.name === 'announcement',
          );
          expect(announcement?.data.message).toBe(payload);
          expectNotRaw('/', await page(bobsBrowser, '/'), payload);
        } finally {
          stream.close();
        }
      },
    );

    it('should show announcements with textContent, never as markup', async () => {
      const script = await request(t.app.getHttpServer()).get('/static/js/notifications.js');
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
      expect(script.text).toContain('text.textContent = String(message)');
      expect(script.text).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|createContextualFragment|srcdoc/,
      );
    });
  });

  it('should send a strict script policy with every kind of page', async () => {
    const anonymous = new BrowserSession(t.app);
    const responses: [string, PageResponse][] = [
      ['home', await bobsBrowser.get('/')],
      ['login', await anonymous.get('/auth/login')],
      ['404', await anonymous.get('/no-such-page')],
      ['400', await alicesBrowser.get('/send_message/alice')],
      ['403', await anonymous.agent.post('/auth/login').set('Accept', 'text/html')],
    ];
    for (const [where, res] of responses) {
      expectSafePage(where, res);
    }
    expect(responses.map(([where, res]) => [where, res.status])).toEqual([
      ['home', 200],
      ['login', 200],
      ['404', 404],
      ['400', 400],
      ['403', 403],
    ]);
  });
});
