import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
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

  it('should show recent conversations, newest first with unread counts, before the people list', async () => {
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
    const recent = home.text.indexOf('id="recent-conversations"');
    const people = home.text.indexOf('id="people-heading"');
    expect(recent).toBeGreaterThan(-1);
    expect(recent).toBeLessThan(people);
    const section = home.text.slice(recent, people);
    const peers = [...section.matchAll(/data-peer="([^"]+)"/g)].map((m) => m[1]);
    expect(peers).toEqual(['alice', 'carol']);
    expect(section).toContain('You: bob answers alice');
    expect(section).toMatch(/data-peer="carol"[\s\S]*2 unread/);
    const aliceRow = section.slice(
      section.indexOf('data-peer="alice"'),
      section.indexOf('data-peer="carol"'),
    );
    expect(aliceRow).toContain('1 unread');
    expect(home.text).toContain('<title>(3) Home - Microblog</title>');
  });

  it('should show no conversation section to someone who has none', async () => {
    await createUser(t.app, 'erin');
    const home = await (await session('erin')).get('/');
    expect(home.status).toBe(200);
    expect(home.text).not.toContain('id="recent-conversations"');
    expect(home.text).toContain('id="people-heading"');
  });
});
