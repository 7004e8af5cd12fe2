import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Notification } from '../../src/notifications/notification.entity';
import { Role, User } from '../../src/users/user.entity';
import { authCookieFor, createUser } from '../factories/user.factory';
import { createTestApp, TestApp } from '../utils/test-app';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Findings 2, 12 and 13: deeply nested JSON, caching of private responses, the API docs. */
describe('Attack: what responses give away', () => {
  let t: TestApp;
  let admin: User;
  let bearer: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await createUser(t.app, 'root', { role: Role.Admin });
    bearer = `Bearer ${(await t.app.get(AuthService).issueToken(admin, false)).token}`;
  });

  afterAll(() => t.close());

  const http = () => request(t.app.getHttpServer());

  it('should answer 400, never 500, to JSON nested thousands deep, on every JSON route', async () => {
    const deep = `{"username":${nested(5000)},"password":"x"}`;
    const routes = [
      http().post('/api/auth/token'),
      http().post('/api/admin/notifications').set('Authorization', bearer),
      http().patch(`/api/admin/users/${admin.id}`).set('Authorization', bearer),
      // A form route that also takes JSON: a 400 page.
      http().post('/auth/register').set('Accept', 'application/json'),
    ];
    for (const req of routes) {
      const res = await req.set('Content-Type', 'application/json').send(deep);
      expect([res.status, (res.body as { statusCode?: number }).statusCode]).toEqual([400, 400]);
    }
    expect(await t.dataSource.getRepository(User).count()).toBe(1);
    // Deep, but within what a notification payload may reasonably nest: accepted.
    const ok = await http()
      .post('/api/admin/notifications')
      .set('Authorization', bearer)
      .send({ user: admin.id, name: 'nested', data: JSON.parse(nested(20)) as unknown });
    expect(ok.status).toBe(201);
    expect(await t.dataSource.getRepository(Notification).countBy({ name: 'nested' })).toBe(1);
  });

  it('should mark private pages and JSON no-store, and leave public avatars cacheable', async () => {
    const cookie = await authCookieFor(t.app, admin);
    const privateResponses: [string, request.Response][] = [
      ['/messages', await http().get('/messages').set('Cookie', cookie)],
      ['/edit_profile', await http().get('/edit_profile').set('Cookie', cookie)],
      ['/notifications', await http().get('/notifications?since=0').set('Cookie', cookie)],
      ['/api/admin/users', await http().get('/api/admin/users').set('Authorization', bearer)],
      ['/auth/login', await http().get('/auth/login')],
    ];
    for (const [path, res] of privateResponses) {
      expect([path, res.status, res.headers['cache-control']]).toEqual([path, 200, 'no-store']);
    }
    const avatar = await http().get('/avatars/root');
    expect(avatar.headers['cache-control']).toBe('public, max-age=86400');
  });

  it('should serve the API docs outside production by default, and not when API_DOCS=off', async () => {
    expect((await http().get('/api/docs-json')).status).toBe(200);
    const off = await createTestApp({ API_DOCS: 'off' });
    try {
      for (const path of ['/api/docs', '/api/docs/', '/api/docs-json']) {
        expect([path, (await request(off.app.getHttpServer()).get(path)).status]).toEqual([
          path,
          404,
        ]);
      }
    } finally {
      await off.close();
    }
  });
});
