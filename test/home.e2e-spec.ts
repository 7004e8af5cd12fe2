import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { conversationRows, postItems, titleOf } from './utils/pages';
import { createTestApp, TestApp } from './utils/test-app';

describe('Home page (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  afterEach(() => clearDatabase(t.dataSource));

  const session = async (username: string) => {
    const s = new BrowserSession(t.app);
    await s.login(username, DEFAULT_PASSWORD);
    return s;
  };
  const send = (from: BrowserSession, to: string, message: string) =>
    from.submit(`/send_message/${to}`, `/send_message/${to}`, { message });

  /** The side column of recent conversations: from its heading to the end of its section. */
  const recentSection = (html: string) => {
    const start = html.indexOf('id="recent-heading"');
    expect(start).toBeGreaterThan(-1);
    return html.slice(start, html.indexOf('</section>', start));
  };

  it('should show recent conversations beside the timeline, newest first with unread counts', async () => {
    for (const name of ['alice', 'bob', 'carol', 'dave']) {
      await createUser(t.app, name);
    }
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(session));
    await send(alice, 'bob', 'from alice');
    await send(carol, 'bob', 'from carol 1');
    await send(carol, 'bob', 'from carol 2');
    await send(bob, 'alice', 'bob answers alice');

    const home = await bob.get('/');
    expect(home.status).toBe(200);
    const timeline = home.text.indexOf('id="timeline-heading"');
    const recent = home.text.indexOf('id="recent-conversations"');
    expect(timeline).toBeGreaterThan(-1);
    // The timeline comes first in the page; the conversations are the side column after it.
    expect(recent).toBeGreaterThan(timeline);
    const section = recentSection(home.text);
    expect(conversationRows(section)).toEqual([
      { peer: 'alice', snippet: 'You: bob answers alice', unread: 1 },
      { peer: 'carol', snippet: 'from carol 2', unread: 2 },
    ]);
    expect(section).toContain('href="/conversations"');
    // Messages reach the notification center only when bob asks for it: the title counts 3.
    expect(titleOf(home.text)).toBe('(3) Home - Microblog');
  });

  it('should show at most five recent conversations, then a link to all of them', async () => {
    const names = ['bob', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    for (const name of names) {
      await createUser(t.app, name);
    }
    const bob = await session('bob');
    for (const peer of names.slice(1)) {
      await send(bob, peer, `to ${peer}`);
    }
    const rows = conversationRows(recentSection((await bob.get('/')).text));
    expect(rows.map((row) => row.peer)).toEqual(['p6', 'p5', 'p4', 'p3', 'p2']);
  });

  it('should say there are no conversations, and still show the post form and the timeline', async () => {
    await createUser(t.app, 'erin');
    const home = await (await session('erin')).get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('id="recent-conversations"');
    expect(recentSection(home.text)).toContain('No conversations yet.');
    expect(home.text).toContain('action="/posts"');
    expect(home.text).toContain('id="timeline-heading"');
    expect(postItems(home.text)).toEqual([]);
    expect(home.text).toContain('Nothing here yet.');
  });
});
