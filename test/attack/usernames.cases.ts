import fc from 'fast-check';
import { createAdmin } from '../../src/admin/create-admin';
import { Follow } from '../../src/follows/follow.entity';
import { User } from '../../src/users/user.entity';
import { AccountFieldError, RESERVED_USERNAMES, usernameProblem } from '../../src/users/username';
import { UsersService } from '../../src/users/users.service';
import { DEFAULT_PASSWORD, createUser } from '../factories/user.factory';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { clearDatabase } from '../utils/clear-database';
import { createTestApp, TestApp } from '../utils/test-app';

const TAKEN = 'data-error-for="username">Please use a different username.';
const RESERVED = 'data-error-for="username">This username is reserved. Please choose another.';

/** Every spelling of `name` in upper and lower case, in a fixed order. */
function caseVariants(name: string): string[] {
  const letters = [...name];
  return Array.from({ length: 2 ** letters.length }, (_, mask) =>
    letters.map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c.toLowerCase())).join(''),
  );
}

/**
 * Finding 8, on the database the project runs on (SQLite or MariaDB): usernames are unique
 * regardless of case, enforced by the database; "." and ".." and the site's own paths are not
 * names.
 */
export function usernameAttacks(): void {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  afterEach(() => clearDatabase(t.dataSource));

  const accountsNamed = (name: string) =>
    t.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .where('LOWER(u.username) = LOWER(:name)', { name })
      .getMany();

  /** Browsers with a register form open each, ready to submit at the same moment. */
  async function openRegisterForms(count: number) {
    return Promise.all(
      Array.from({ length: count }, async () => {
        const browser = new BrowserSession(t.app);
        const token = csrfTokenOf((await browser.get('/auth/register')).text);
        return (fields: Record<string, string>) =>
          browser.agent
            .post('/auth/register')
            .set('Accept', 'text/html')
            .type('form')
            .send({
              csrf_token: token,
              password: 'cat-on-the-mat',
              password2: 'cat-on-the-mat',
              ...fields,
            });
      }),
    );
  }

  it('should store one account of concurrent registrations of one name in any case, and refuse the rest with a form error', async () => {
    const variants = caseVariants('racex').slice(0, 12);
    const forms = await openRegisterForms(variants.length);

    const responses = await Promise.all(
      variants.map((username, i) => forms[i]({ username, email: `racer${i}@example.com` })),
    );

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(variants.length - 1);
    responses.filter((r) => r.status === 400).forEach((r) => expect(r.text).toContain(TAKEN));
    const stored = await accountsNamed('racex');
    expect(stored).toHaveLength(1);
    expect(variants[statuses.indexOf(302)]).toBe(stored[0].username);
  });

  it('should refuse a case variant at the database itself, whatever the app checks', async () => {
    await createUser(t.app, 'bob');
    const insert = (username: string) =>
      t.dataSource
        .createQueryBuilder()
        .insert()
        .into(User)
        .values({
          username,
          email: `${username}@example.org`,
          passwordHash: 'x',
          createdAt: new Date(),
          lastSeen: new Date(),
        })
        .execute();

    await expect(insert('BOB')).rejects.toThrow(/unique|duplicate/i);
    await expect(insert('bOb')).rejects.toThrow(/unique|duplicate/i);
    expect(await accountsNamed('bob')).toHaveLength(1);
  });

  it('should let concurrent renames to one name in any case give it to one user only', async () => {
    const browsers = await Promise.all(
      ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map(async (name) => {
        await createUser(t.app, name);
        const browser = new BrowserSession(t.app);
        await browser.login(name, DEFAULT_PASSWORD);
        const token = csrfTokenOf((await browser.get('/edit_profile')).text);
        return { browser, token };
      }),
    );
    const variants = caseVariants('winner');

    const responses = await Promise.all(
      browsers.map(({ browser, token }, i) =>
        browser.agent
          .post('/edit_profile')
          .set('Accept', 'text/html')
          .type('form')
          .send({ csrf_token: token, username: variants[i], about_me: '' }),
      ),
    );

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(browsers.length - 1);
    responses.filter((r) => r.status === 400).forEach((r) => expect(r.text).toContain(TAKEN));
    expect(await accountsNamed('winner')).toHaveLength(1);
  });

  it('should refuse "." and "..", and the names of the site\'s own paths in any case, at registration', async () => {
    const refused = [
      '.',
      '..',
      '...',
      ...['auth', 'api', 'admin', 'static', 'vendor', 'avatars', 'notifications'],
      ...['messages', 'conversations', 'explore', 'health', 'edit_profile', 'send_message'],
      ...['user', 'ADMIN', 'Api', 'Edit_Profile', 'HEALTH', 'Static'],
    ];
    const [register] = await openRegisterForms(1);

    for (const [i, username] of refused.entries()) {
      const res = await register({ username, email: `reserved${i}@example.com` });
      expect([username, res.status]).toEqual([username, 400]);
      expect(res.text).toContain(RESERVED);
    }
    expect(await t.dataSource.getRepository(User).count()).toBe(0);
  });

  it('should refuse the same names as a new name on the profile form, keeping the old one', async () => {
    await createUser(t.app, 'susan');
    const susan = new BrowserSession(t.app);
    await susan.login('susan', DEFAULT_PASSWORD);

    for (const username of ['..', '.', 'Notifications', 'static']) {
      const res = await susan.submit('/edit_profile', '/edit_profile', { username, about_me: '' });
      expect([username, res.status]).toEqual([username, 400]);
      expect(res.text).toContain(RESERVED);
    }
    const [stored] = await accountsNamed('susan');
    expect(stored.username).toBe('susan');
  });

  it('should answer any submitted name with a saved profile or a 400 form error, never storing a refused name', async () => {
    await createUser(t.app, 'taken');
    await createUser(t.app, 'prober');
    const prober = new BrowserSession(t.app);
    await prober.login('prober', DEFAULT_PASSWORD);
    const token = csrfTokenOf((await prober.get('/edit_profile')).text);
    const name = fc.oneof(
      fc.string({ maxLength: 70 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom(...RESERVED_USERNAMES, '.', '..', 'TAKEN', 'Taken', 'e\u0301', '\u00e9'),
      fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
    );

    await fc.assert(
      fc.asyncProperty(name, async (username) => {
        const res = await prober.agent
          .post('/edit_profile')
          .set('Accept', 'text/html')
          .type('form')
          .send({ csrf_token: token, username, about_me: '' });
        expect([302, 400]).toContain(res.status);
        const [me] = await t.dataSource.getRepository(User).findBy({ email: 'prober@example.com' });
        expect(usernameProblem(me.username)).toBeNull();
        expect(me.username.toLowerCase()).not.toBe('taken');
        if (res.status === 302) {
          expect(me.username).toBe(username.trim().normalize('NFC'));
        }
      }),
      { numRuns: 150 },
    );
    expect(await accountsNamed('taken')).toHaveLength(1);
  });

  it('should find a user by any case of their name, and show the stored spelling', async () => {
    await createUser(t.app, 'raceX');
    await createUser(t.app, 'viewer');
    const viewer = new BrowserSession(t.app);
    await viewer.login('VIEWER', DEFAULT_PASSWORD);

    const profile = await viewer.get('/user/RACEX');
    expect(profile.status).toBe(200);
    expect(profile.text).toContain('User: raceX');
    expect((await viewer.get('/user/..')).status).toBe(404);
  });

  it('should follow a user by any case of their name, once, with every request at the same time', async () => {
    const followed = await createUser(t.app, 'raceX');
    const follower = await createUser(t.app, 'viewer');
    const viewer = new BrowserSession(t.app);
    await viewer.login('viewer', DEFAULT_PASSWORD);
    const token = csrfTokenOf((await viewer.get('/explore')).text);
    const variants = caseVariants('racex').slice(0, 12);

    const responses = await Promise.all(
      variants.map((name) =>
        viewer.agent
          .post(`/user/${name}/follow`)
          .set('Accept', 'text/html')
          .type('form')
          .send({ csrf_token: token }),
      ),
    );

    // Following again changes nothing: every request lands on the stored spelling's profile.
    expect(responses.map((r) => [r.status, r.headers.location])).toEqual(
      variants.map(() => [302, '/user/raceX']),
    );
    const follows = await t.dataSource.getRepository(Follow).find();
    expect(follows.map((f) => [f.followerId, f.followedId])).toEqual([[follower.id, followed.id]]);
    const [row] = await accountsNamed('racex');
    expect(row.followersCount).toBe(1);
    const list = await viewer.get('/user/RACEX/followers');
    expect([list.status, list.text.includes('data-user-card="viewer"')]).toEqual([200, true]);
    const card = await viewer.get('/user/RaCeX/card');
    expect([card.status, card.text.includes('action="/user/raceX/unfollow"')]).toEqual([200, true]);
  });

  it('should apply the same rules to accounts made from the command line', async () => {
    const users = t.app.get(UsersService);
    const existing = await createUser(t.app, 'raceX');
    const create = (username: string, email: string) =>
      createAdmin(users, [username, '--email', email, '--password', DEFAULT_PASSWORD]);

    await expect(create('Admin', 'a@example.com')).rejects.toThrow(
      'The username "Admin" can\'t be used: it is reserved.',
    );
    await expect(create('..', 'b@example.com')).rejects.toThrow(AccountFieldError);
    await expect(create('caf\u00e9', 'c@example.com')).rejects.toThrow(AccountFieldError);
    await expect(create('RACEX', 'd@example.com')).resolves.toBe('raceX is now an admin.');
    expect(await t.dataSource.getRepository(User).count()).toBe(1);
    expect((await users.findById(existing.id))?.role).toBe('admin');
    await expect(
      users.create({ username: 'RaceX', email: 'e@example.com', passwordHash: 'x' }),
    ).rejects.toThrow('another account has it');
  });
}
