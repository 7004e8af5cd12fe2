import request from 'supertest';
import { AuthService } from '../src/auth/auth.service';
import { User } from '../src/users/user.entity';
import { DEFAULT_PASSWORD, createUser } from './factories/user.factory';
import { BrowserSession, csrfTokenOf } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { createTestApp, TestApp } from './utils/test-app';

describe('Accounts (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  afterEach(() => clearDatabase(t.dataSource));

  const register = (session: BrowserSession, fields: Record<string, string>) =>
    session.submit('/auth/register', '/auth/register', fields);

  const validRegistration = {
    username: 'susan',
    email: 'susan@example.com',
    password: 'cat-on-the-mat',
    password2: 'cat-on-the-mat',
  };

  it('should register, log in, show the profile and log out', async () => {
    const browser = new BrowserSession(t.app);

    const registered = await register(browser, validRegistration);
    expect(registered.status).toBe(302);
    expect(registered.headers.location).toBe('/auth/login');
    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ username: 'susan' });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored.email).toBe('susan@example.com');

    const loginPage = await browser.get('/auth/login');
    expect(loginPage.text).toContain('Congratulations, you are now a registered user!');

    const login = await browser.login('susan', 'cat-on-the-mat');
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/mb_token=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    expect(cookie).not.toMatch(/mb_token=[^;]+;[^,]*Max-Age/);

    const profile = await browser.get('/user/susan');
    expect(profile.status).toBe(200);
    expect(profile.text).toContain('User: susan');
    expect(profile.text).toContain('href="/edit_profile"');
    expect(profile.text).toContain('action="/auth/logout"');

    const logout = await browser.submit('/', '/auth/logout', {});
    expect(logout.status).toBe(302);
    expect(logout.headers.location).toBe('/');
    const afterLogout = await browser.get('/user/susan');
    expect(afterLogout.status).toBe(302);
    expect(afterLogout.headers.location).toBe('/auth/login?next=%2Fuser%2Fsusan');
  });

  it('should keep a "remember me" login for 30 days', async () => {
    await createUser(t.app, 'john');
    const browser = new BrowserSession(t.app);
    const login = await browser.login('john', DEFAULT_PASSWORD, { remember_me: 'y' });
    expect(String(login.headers['set-cookie'])).toMatch(/mb_token=[^;]+; Max-Age=2592000;/);
  });

  it('should accept the same JWT as a bearer token, and refuse a tampered one', async () => {
    const john = await createUser(t.app, 'john');
    const { token } = await t.app.get(AuthService).issueToken(john, false);
    const http = request(t.app.getHttpServer());
    const ok = await http.get('/edit_profile').set('Authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('value="john"');

    const [header, payload] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: john.id, exp: 4102444800 })).toString(
      'base64url',
    );
    for (const bad of [`${header}.${forged}.${token.split('.')[2]}`, `${header}.${payload}.`]) {
      const res = await http
        .get('/edit_profile')
        .set('Accept', 'application/json')
        .set('Authorization', `Bearer ${bad}`);
      expect(res.status).toBe(401);
    }
  });

  describe('registration errors', () => {
    it.each([
      ['username', { username: '' }, 'This field is required.'],
      ['username', { username: '   ' }, 'This field is required.'],
      ['username', { username: 'bad name!' }, 'Use only letters'],
      ['email', { email: '' }, 'This field is required.'],
      ['email', { email: 'not-an-email' }, 'Enter a valid email address.'],
      ['password', { password: '', password2: '' }, 'This field is required.'],
      ['password', { password: 'short', password2: 'short' }, 'At least 8 characters.'],
      ['password2', { password2: 'something-else' }, 'The passwords do not match.'],
    ])(
      'should refuse a bad %s (%j) with 400 and the input kept',
      async (field, change, message) => {
        const res = await register(new BrowserSession(t.app), { ...validRegistration, ...change });
        expect(res.status).toBe(400);
        expect(res.text).toMatch(new RegExp(`data-error-for="${field}">${message}`));
        if (field !== 'email') {
          expect(res.text).toContain('value="susan@example.com"');
        }
        expect(res.text).not.toContain('cat-on-the-mat');
        expect(await t.dataSource.getRepository(User).count()).toBe(0);
      },
    );

    it('should refuse a taken username, and answer a taken email as a new account without storing one', async () => {
      await createUser(t.app, 'Susan', { email: 'other@example.com' });
      await createUser(t.app, 'mary', { email: 'susan@example.com' });
      const byName = await register(new BrowserSession(t.app), validRegistration);
      expect(byName.status).toBe(400);
      expect(byName.text).toContain('Please use a different username.');

      const byEmail = await register(new BrowserSession(t.app), {
        ...validRegistration,
        username: 'newname',
        email: 'SUSAN@example.com',
      });
      const fresh = await register(new BrowserSession(t.app), {
        ...validRegistration,
        username: 'freshname',
        email: 'fresh@example.com',
      });
      // No oracle: the same answer as for a new address, and nothing stored.
      expect([byEmail.status, byEmail.headers.location]).toEqual([302, '/auth/login']);
      expect([fresh.status, fresh.headers.location]).toEqual([302, '/auth/login']);
      const users = await t.dataSource.getRepository(User).find({ order: { id: 'ASC' } });
      expect(users.map((u) => [u.username, u.email])).toEqual([
        ['Susan', 'other@example.com'],
        ['mary', 'susan@example.com'],
        ['freshname', 'fresh@example.com'],
      ]);
    });
  });

  describe('login', () => {
    beforeEach(() => createUser(t.app, 'john'));

    it.each([
      ['a wrong password', 'john', 'wrong password'],
      ['an unknown username', 'nobody', DEFAULT_PASSWORD],
    ])('should refuse %s with the same message', async (_, username, password) => {
      const res = await new BrowserSession(t.app).submit('/auth/login', '/auth/login', {
        username,
        password,
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Invalid username or password');
      expect(res.text).toContain(`value="${username}"`);
      expect(res.headers['set-cookie'] ?? []).not.toEqual(
        expect.arrayContaining([expect.stringContaining('mb_token=')]),
      );
    });

    it('should refuse blank fields with 400', async () => {
      const res = await new BrowserSession(t.app).submit('/auth/login', '/auth/login', {
        username: '',
        password: '',
      });
      expect(res.status).toBe(400);
      expect(res.text).toContain('data-error-for="username">This field is required.');
      expect(res.text).toContain('data-error-for="password">This field is required.');
    });

    it('should send the user back to the protected page they asked for', async () => {
      const browser = new BrowserSession(t.app);
      const protectedPage = await browser.get('/edit_profile?x=1');
      expect(protectedPage.status).toBe(302);
      expect(protectedPage.headers.location).toBe('/auth/login?next=%2Fedit_profile%3Fx%3D1');

      const form = await browser.get(protectedPage.headers.location);
      expect(form.text).toContain('action="/auth/login?next=/edit_profile?x&#x3D;1"');
      const login = await browser.agent
        .post('/auth/login?next=%2Fedit_profile%3Fx%3D1')
        .type('form')
        .send({ csrf_token: csrfTokenOf(form.text), username: 'john', password: DEFAULT_PASSWORD });
      expect(login.status).toBe(302);
      expect(login.headers.location).toBe('/edit_profile?x=1');
    });

    it.each([
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
    ])('should refuse to redirect off the site to %s', async (next) => {
      const browser = new BrowserSession(t.app);
      const form = await browser.get('/auth/login');
      const login = await browser.agent
        .post(`/auth/login?next=${encodeURIComponent(next)}`)
        .type('form')
        .send({ csrf_token: csrfTokenOf(form.text), username: 'john', password: DEFAULT_PASSWORD });
      expect(login.status).toBe(302);
      expect(login.headers.location).toBe('/');
    });
  });

  describe('CSRF protection', () => {
    it('should refuse a form posted without a token with 403', async () => {
      const browser = new BrowserSession(t.app);
      await browser.get('/auth/register');
      const res = await browser.agent
        .post('/auth/register')
        .set('Accept', 'text/html')
        .type('form')
        .send(validRegistration);
      expect(res.status).toBe(403);
      expect(res.text).toContain('The form has expired or was not sent from this site.');
      expect(await t.dataSource.getRepository(User).count()).toBe(0);
    });

    it("should refuse another browser's token with 403", async () => {
      const victim = new BrowserSession(t.app);
      const token = csrfTokenOf((await victim.get('/auth/register')).text);
      const attacker = new BrowserSession(t.app);
      await attacker.get('/auth/register');
      const res = await attacker.agent
        .post('/auth/register')
        .type('form')
        .send({ ...validRegistration, csrf_token: token });
      expect(res.status).toBe(403);
    });

    it('should refuse a logout without a token', async () => {
      await createUser(t.app, 'john');
      const browser = new BrowserSession(t.app);
      await browser.login('john', DEFAULT_PASSWORD);
      const res = await browser.agent.post('/auth/logout').type('form').send({});
      expect(res.status).toBe(403);
      expect((await browser.get('/edit_profile')).status).toBe(200);
    });
  });

  it('should answer JSON callers with a JSON error body', async () => {
    const res = await request(t.app.getHttpServer())
      .get('/no/such/page')
      .set('Accept', 'application/json');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      statusCode: 404,
      message: 'Cannot GET /no/such/page',
      error: 'Not Found',
    });
  });

  it('should show a friendly 404 page to people', async () => {
    const res = await new BrowserSession(t.app).get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.text).toContain('Page not found');
    expect(res.text).toContain('href="/auth/login"');
  });
});
