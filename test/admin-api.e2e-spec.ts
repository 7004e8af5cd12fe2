import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { createAdmin } from '../src/admin/create-admin';
import { FollowsService } from '../src/follows/follows.service';
import { Message } from '../src/messages/message.entity';
import { MessagesService } from '../src/messages/messages.service';
import { NotificationGroup } from '../src/notifications/notification-group.entity';
import { Notification } from '../src/notifications/notification.entity';
import { PostFanoutService } from '../src/posts/post-fanout.service';
import { Post } from '../src/posts/post.entity';
import { PostsService } from '../src/posts/posts.service';
import { TimelineEntry } from '../src/posts/timeline-entry.entity';
import { Role, User } from '../src/users/user.entity';
import { UsersService } from '../src/users/users.service';
import { authCookieFor, createUser, DEFAULT_PASSWORD } from './factories/user.factory';
import { BrowserSession } from './utils/browser-session';
import { clearDatabase } from './utils/clear-database';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

describe('Admin API (e2e)', () => {
  let t: TestApp;
  let admin: User;
  let susan: User;
  let bob: User;
  let adminToken: string;
  let userToken: string;

  const http = () => request(t.app.getHttpServer());
  const tokenOf = async (username: string) => {
    const res = await http().post('/api/auth/token').send({ username, password: DEFAULT_PASSWORD });
    expect(res.status).toBe(200);
    return (res.body as { access_token: string }).access_token;
  };
  const storeMessage = (from: User, to: User, body = 'hello') =>
    t.app.get(MessagesService).send(from, to, body);
  /** A post, delivered to every follower's home timeline before it resolves. */
  const storePost = async (author: User, body = 'a post') => {
    const post = await t.app.get(PostsService).create(author, body);
    await t.app.get(PostFanoutService).deliver(post.id);
    return post;
  };
  /** The user as stored now (counters change under the factory's copy). */
  const reload = (user: User) => t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    admin = await createUser(t.app, 'root', { role: Role.Admin });
    susan = await createUser(t.app, 'susan');
    bob = await createUser(t.app, 'bob');
    adminToken = await tokenOf('root');
    userToken = await tokenOf('susan');
  });

  afterEach(() => clearDatabase(t.dataSource));

  describe('POST /api/auth/token', () => {
    it('should issue a bearer token', async () => {
      const res = await http()
        .post('/api/auth/token')
        .send({ username: 'susan', password: DEFAULT_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        token_type: 'Bearer',
        expires_in: 86400,
      });
    });

    it.each([
      [{ username: 'susan', password: 'wrong password' }, 401],
      [{ username: 'nobody', password: DEFAULT_PASSWORD }, 401],
      [{ username: 'susan' }, 400],
      [{ username: 'susan', password: DEFAULT_PASSWORD, admin: true }, 400],
    ])('should refuse %j with %d', async (body, status) => {
      const res = await http().post('/api/auth/token').send(body);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, error: expect.any(String) });
      expect(res.body.access_token).toBeUndefined();
    });
  });

  describe('authorization matrix', () => {
    type Call = () => request.Test;
    const now = (call: Call) => () => Promise.resolve(call);
    const routes: [string, () => Promise<Call>, number][] = [
      ['GET /api/admin/users', now(() => http().get('/api/admin/users')), 200],
      ['GET /api/admin/users/:id', now(() => http().get(`/api/admin/users/${bob.id}`)), 200],
      [
        'PATCH /api/admin/users/:id',
        now(() => http().patch(`/api/admin/users/${bob.id}`).send({ about_me: 'edited' })),
        200,
      ],
      ['GET /api/admin/messages', now(() => http().get('/api/admin/messages')), 200],
      [
        'DELETE /api/admin/messages/:id',
        async () => {
          const message = await storeMessage(susan, bob);
          return () => http().delete(`/api/admin/messages/${message.id}`);
        },
        204,
      ],
      ['GET /api/admin/notifications', now(() => http().get('/api/admin/notifications')), 200],
      [
        'POST /api/admin/notifications',
        now(() =>
          http()
            .post('/api/admin/notifications')
            .send({ user: bob.id, name: 'announcement', data: { message: 'hi' } }),
        ),
        201,
      ],
      ['GET /api/admin/posts', now(() => http().get('/api/admin/posts')), 200],
      [
        'DELETE /api/admin/posts/:id',
        async () => {
          const post = await storePost(susan);
          return () => http().delete(`/api/admin/posts/${post.id}`);
        },
        204,
      ],
      ['GET /api/admin/stats', now(() => http().get('/api/admin/stats')), 200],
    ];

    const forged = async () => {
      const jwt = t.app.get(JwtService);
      const [header, , signature] = userToken.split('.');
      const elevated = Buffer.from(
        JSON.stringify({ sub: admin.id, iat: 1, exp: 4102444800 }),
      ).toString('base64url');
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      return {
        garbage: 'Bearer not-a-token',
        tampered: `Bearer ${header}.${elevated}.${signature}`,
        'alg none': `Bearer ${none}.${elevated}.`,
        expired: `Bearer ${await jwt.signAsync({ sub: admin.id, exp: Math.floor(Date.now() / 1000) - 60 })}`,
        'wrong secret': `Bearer ${await jwt.signAsync({ sub: admin.id }, { secret: 'another-secret-that-is-long-enough-0123456789' })}`,
      };
    };

    describe.each(routes)('%s', (_, prepare, okStatus) => {
      it('should answer 401 without a token', async () => {
        const res = await (await prepare())();
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      });

      it('should answer 401 for garbage, tampered, alg-none, expired and foreign tokens', async () => {
        for (const [kind, header] of Object.entries(await forged())) {
          const res = await (await prepare())().set('Authorization', header);
          expect([kind, res.status]).toEqual([kind, 401]);
        }
      });

      it("should answer 401 to an admin's browser cookie alone", async () => {
        const res = await (await prepare())().set('Cookie', await authCookieFor(t.app, admin));
        expect(res.status).toBe(401);
      });

      it("should answer 403 to a user's token", async () => {
        const res = await (await prepare())().set('Authorization', `Bearer ${userToken}`);
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      });

      it("should serve an admin's token", async () => {
        const res = await (await prepare())().set('Authorization', `Bearer ${adminToken}`);
        expect(res.status).toBe(okStatus);
      });
    });
  });

  describe('as an admin', () => {
    const asAdmin = (req: request.Test) => req.set('Authorization', `Bearer ${adminToken}`);

    it('should list users in the pagination envelope, with unread counts and a search', async () => {
      await storeMessage(susan, bob);
      await storeMessage(susan, bob);
      const res = await asAdmin(http().get('/api/admin/users?per_page=2'));
      expect(res.status).toBe(200);
      expect(res.body.meta).toEqual({ page: 1, per_page: 2, total_pages: 2, total_items: 3 });
      expect(res.body.links).toEqual({
        self: '/api/admin/users?per_page=2&page=1',
        next: '/api/admin/users?per_page=2&page=2',
        prev: null,
      });
      expect(res.body.items[0]).toEqual({
        id: admin.id,
        username: 'root',
        email: 'root@example.com',
        role: 'admin',
        disabled: false,
        about_me: null,
        created_at: expect.any(String),
        last_seen: expect.any(String),
        unread_count: 0,
      });
      expect(res.body.items[0].password_hash).toBeUndefined();
      const found = await asAdmin(http().get('/api/admin/users?q=BO'));
      const foundItems = found.body.items as { username: string }[];
      expect(foundItems.map((u) => u.username)).toEqual(['bob']);
      expect(found.body.items[0].unread_count).toBe(2);
      const wildcard = await asAdmin(http().get('/api/admin/users?q=%25'));
      expect(wildcard.body.items).toEqual([]);
      const capped = await asAdmin(http().get('/api/admin/users?per_page=500'));
      expect(capped.body.meta.per_page).toBe(100);
    });

    it.each([
      ['/api/admin/users/abc', 400],
      ['/api/admin/users/-1', 400],
      ['/api/admin/users/0', 400],
      ['/api/admin/users/1.5', 400],
      ['/api/admin/users/999999', 404],
      ['/api/admin/users?page=abc', 400],
      ['/api/admin/users?page=0', 400],
      ['/api/admin/users?per_page=-5', 400],
      ['/api/admin/users?per_page=x', 400],
      ['/api/admin/users?unknown=1', 400],
      ['/api/admin/messages?sender=abc', 400],
      ['/api/admin/notifications?user=-2', 400],
      ['/api/admin/posts?author=abc', 400],
      ['/api/admin/posts?author=0', 400],
      ['/api/admin/posts?author=0x1', 400],
      ['/api/admin/posts?q=a%00b', 400],
      ['/api/admin/posts?page=0', 400],
      ['/api/admin/posts?sender=1', 400],
    ])('should answer %s with %d and a JSON error', async (path, status) => {
      const res = await asAdmin(http().get(path));
      expect(res.status).toBe(status);
      expect(res.body).toEqual({
        statusCode: status,
        message: expect.anything(),
        error: expect.any(String),
      });
    });

    it.each([
      ['/api/admin/posts/abc', 400],
      ['/api/admin/posts/-1', 400],
      ['/api/admin/posts/0', 400],
      ['/api/admin/posts/1.5', 400],
      ['/api/admin/posts/0x39', 400],
      ['/api/admin/posts/2147483648', 400],
      ['/api/admin/posts/999999', 404],
    ])('should answer DELETE %s with %d and a JSON error', async (path, status) => {
      const res = await asAdmin(http().delete(path));
      expect(res.status).toBe(status);
      expect(res.body).toEqual({
        statusCode: status,
        message: expect.anything(),
        error: expect.any(String),
      });
    });

    it.each([
      [{ role: 'superuser' }, 400],
      [{ disabled: 'yes' }, 400],
      [{ about_me: 'ж'.repeat(141) }, 400],
      [{ password_hash: 'x' }, 400],
    ])('should refuse the user change %j', async (body, status) => {
      const res = await asAdmin(http().patch(`/api/admin/users/${bob.id}`).send(body));
      expect(res.status).toBe(status);
    });

    it('should refuse an oversize body with 413', async () => {
      const res = await asAdmin(
        http()
          .post('/api/admin/notifications')
          .send({ user: 'all', name: 'announcement', data: { message: 'x'.repeat(100_000) } }),
      );
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ statusCode: 413 });
      expect(await t.dataSource.getRepository(Notification).count()).toBe(0);
    });

    it.each([
      [{ user: 'everyone', name: 'announcement', data: {} }],
      [{ user: -1, name: 'announcement', data: {} }],
      [{ user: 'all', name: 'Bad Name', data: {} }],
      [{ user: 'all', name: 'unread_message_count', data: 99 }],
      [{ user: 'all', name: 'announcement' }],
      [{ user: 'all', name: 'announcement', data: {}, extra: 1 }],
    ])('should refuse the notification %j with 400', async (body) => {
      const res = await asAdmin(http().post('/api/admin/notifications').send(body));
      expect(res.status).toBe(400);
    });

    it('should answer 404 for a notification to an unknown user', async () => {
      const res = await asAdmin(
        http()
          .post('/api/admin/notifications')
          .send({ user: 999999, name: 'announcement', data: {} }),
      );
      expect(res.status).toBe(404);
    });

    it('should filter messages and notifications', async () => {
      await storeMessage(susan, bob, 'to bob');
      await storeMessage(bob, susan, 'to susan');
      const messages = await asAdmin(http().get(`/api/admin/messages?recipient=${bob.id}`));
      expect(messages.body.items).toEqual([
        {
          id: expect.any(Number),
          sender: { id: susan.id, username: 'susan' },
          recipient: { id: bob.id, username: 'bob' },
          body: 'to bob',
          timestamp: expect.any(String),
        },
      ]);
      const notifications = await asAdmin(
        http().get(`/api/admin/notifications?user=${bob.id}&name=unread_message_count`),
      );
      expect(notifications.body.items).toEqual([
        {
          id: expect.any(Number),
          user_id: bob.id,
          name: 'unread_message_count',
          data: 1,
          timestamp: expect.any(Number),
        },
      ]);
      const stats = await asAdmin(http().get('/api/admin/stats'));
      // State: each recipient's unread_message_count (new_message is history, in the log).
      expect(stats.body).toEqual({
        users: 3,
        messages: 2,
        notifications: 2,
        posts: 0,
        follows: 0,
        notification_groups: 0,
        open_streams: 0,
      });
    });

    it("should push the recipient's new count live when a message is deleted", async () => {
      const first = await storeMessage(susan, bob, 'spam');
      await storeMessage(susan, bob, 'fine');
      const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
        Cookie: await authCookieFor(t.app, bob),
      });
      try {
        await stream.waitFor((s) => s.states.some((e) => e.data === 2));
        const res = await asAdmin(http().delete(`/api/admin/messages/${first.id}`));
        expect(res.status).toBe(204);
        await stream.waitFor((s) => s.events.some((e) => e.data === 1));
        expect(await t.dataSource.getRepository(Message).countBy({ recipientId: bob.id })).toBe(1);
        expect((await asAdmin(http().delete(`/api/admin/messages/${first.id}`))).status).toBe(404);
      } finally {
        stream.close();
      }
    });

    it('should deliver an announcement to all users live, replacing the older one', async () => {
      const streams = await Promise.all(
        [susan, bob].map(async (user) =>
          SseClient.connect(t.baseUrl, '/notifications/stream', {
            Cookie: await authCookieFor(t.app, user),
          }),
        ),
      );
      try {
        await Promise.all(streams.map((s) => s.waitFor((c) => c.frames.length >= 1)));
        for (const message of ['first', 'second']) {
          const res = await asAdmin(
            http()
              .post('/api/admin/notifications')
              .send({ user: 'all', name: 'announcement', data: { message } }),
          );
          expect(res.status).toBe(201);
          expect(res.body).toEqual({ users: 3 });
        }
        for (const stream of streams) {
          await stream.waitFor(
            (s) => s.events.filter((e) => e.name === 'announcement').length === 2,
          );
          // Announcements are marked as everyone's, and the bell counts them on the page.
          expect(stream.events).toEqual([
            expect.objectContaining({ everyone: true, data: { message: 'first' } }),
            expect.objectContaining({ everyone: true, data: { message: 'second' } }),
          ]);
        }
        const stored = await t.dataSource
          .getRepository(Notification)
          .findBy({ name: 'announcement' });
        expect(stored.map((row) => [row.userId, row.payload])).toEqual([
          [null, { message: 'second' }],
        ]);
        // Each user's bell state is one row, upserted by each announcement: two unseen.
        const counts = await asAdmin(
          http().get('/api/admin/notifications?name=notification_count'),
        );
        const countItems = counts.body.items as { user_id: number; data: unknown }[];
        expect(
          countItems
            .map((row) => [row.user_id, row.data])
            .sort(([a], [b]) => Number(a) - Number(b)),
        ).toEqual([admin, susan, bob].map((user) => [user.id, 2]).sort(([a], [b]) => a - b));
        const stats = await asAdmin(http().get('/api/admin/stats'));
        expect(stats.body).toMatchObject({
          notifications: 4,
          notification_groups: 6,
          open_streams: 2,
        });
      } finally {
        streams.forEach((s) => s.close());
      }
    });

    describe('posts', () => {
      const listIds = async (query: string) => {
        const res = await asAdmin(http().get(`/api/admin/posts?${query}`));
        expect(res.status).toBe(200);
        return (res.body.items as { id: number }[]).map((post) => post.id);
      };

      it('should list posts newest first, mapped to the DTO, in the pagination envelope', async () => {
        const first = await storePost(susan, 'First post by susan');
        const second = await storePost(bob, 'Bob says hi');
        const third = await storePost(susan, 'Another one,\nover two lines');
        const res = await asAdmin(http().get('/api/admin/posts?per_page=2'));
        expect(res.status).toBe(200);
        expect(res.body.meta).toEqual({ page: 1, per_page: 2, total_pages: 2, total_items: 3 });
        expect(res.body.links).toEqual({
          self: '/api/admin/posts?per_page=2&page=1',
          next: '/api/admin/posts?per_page=2&page=2',
          prev: null,
        });
        // Exactly these fields: no author_id, fan-out state or the author's other columns.
        expect(res.body.items).toEqual([
          {
            id: third.id,
            author: { id: susan.id, username: 'susan' },
            body: 'Another one,\nover two lines',
            timestamp: third.timestamp.toISOString(),
          },
          {
            id: second.id,
            author: { id: bob.id, username: 'bob' },
            body: 'Bob says hi',
            timestamp: second.timestamp.toISOString(),
          },
        ]);
        const next = await asAdmin(http().get(res.body.links.next as string));
        expect(next.body.meta).toEqual({ page: 2, per_page: 2, total_pages: 2, total_items: 3 });
        expect((next.body.items as { id: number }[]).map((post) => post.id)).toEqual([first.id]);
        expect(next.body.links).toMatchObject({
          next: null,
          prev: '/api/admin/posts?per_page=2&page=1',
        });
        expect(await listIds('page=3&per_page=2')).toEqual([]);
      });

      it('should search posts by text or author name (q), by author id, and by both', async () => {
        const cats = await storePost(susan, 'Cats are GREAT');
        const dogs = await storePost(bob, 'I like dogs');
        const sale = await storePost(susan, 'dogs at 50%_off');
        expect(await listIds('q=great')).toEqual([cats.id]);
        expect(await listIds('q=BO')).toEqual([dogs.id]);
        expect(await listIds('q=dogs')).toEqual([sale.id, dogs.id]);
        expect(await listIds(`author=${susan.id}`)).toEqual([sale.id, cats.id]);
        expect(await listIds(`q=dogs&author=${susan.id}`)).toEqual([sale.id]);
        expect(await listIds(`q=bob&author=${susan.id}`)).toEqual([]);
        expect(await listIds('author=999999')).toEqual([]);
        // LIKE wildcards are plain characters in q.
        expect(await listIds('q=%25')).toEqual([sale.id]);
        expect(await listIds('q=_')).toEqual([sale.id]);
        expect(await listIds('q=s%25a')).toEqual([]);
        const res = await asAdmin(http().get(`/api/admin/posts?q=dogs&per_page=1`));
        expect(res.body.meta).toEqual({ page: 1, per_page: 1, total_pages: 2, total_items: 2 });
        expect(res.body.links.next).toBe('/api/admin/posts?q=dogs&per_page=1&page=2');
      });

      it("should delete a post from the profile, the followers' timelines and the mention's bell, live", async () => {
        await t.app.get(FollowsService).follow(bob, susan);
        const post = await storePost(susan, 'Moderate me, @bob');
        const bobCookie = await authCookieFor(t.app, bob);
        const page = async (path: string) => {
          const res = await http().get(path).set('Cookie', bobCookie);
          expect([path, res.status]).toEqual([path, 200]);
          return res.text;
        };
        const groups = () =>
          t.dataSource.getRepository(NotificationGroup).countBy({ userId: bob.id });
        expect(await page('/user/susan')).toContain('Moderate me,');
        expect(await page('/')).toContain('Moderate me,');
        expect(await t.dataSource.getRepository(TimelineEntry).countBy({ postId: post.id })).toBe(
          2,
        );
        expect(await groups()).toBe(1);
        expect((await reload(bob)).unseenNotifications).toBe(1);

        // Neither its author's token nor no token deletes it.
        const byAuthor = await http()
          .delete(`/api/admin/posts/${post.id}`)
          .set('Authorization', `Bearer ${userToken}`);
        expect(byAuthor.status).toBe(403);
        expect((await http().delete(`/api/admin/posts/${post.id}`)).status).toBe(401);
        expect(await t.dataSource.getRepository(Post).countBy({ id: post.id })).toBe(1);

        const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
          Cookie: bobCookie,
        });
        try {
          await stream.waitFor((s) => s.states.some((e) => e.name === 'notification_count'));
          const res = await asAdmin(http().delete(`/api/admin/posts/${post.id}`));
          expect(res.status).toBe(204);
          expect(res.text).toBe('');
          await stream.waitFor((s) =>
            s.events.some((e) => e.name === 'notification_count' && e.data === 0),
          );
        } finally {
          stream.close();
        }
        expect(await page('/user/susan')).not.toContain('Moderate me,');
        expect(await page('/')).not.toContain('Moderate me,');
        expect(await t.dataSource.getRepository(Post).countBy({ id: post.id })).toBe(0);
        expect(await t.dataSource.getRepository(TimelineEntry).countBy({ postId: post.id })).toBe(
          0,
        );
        expect(await groups()).toBe(0);
        expect((await reload(bob)).unseenNotifications).toBe(0);
        expect((await reload(susan)).postsCount).toBe(0);

        const again = await asAdmin(http().delete(`/api/admin/posts/${post.id}`));
        expect(again.status).toBe(404);
        expect(again.body).toEqual({
          statusCode: 404,
          message: 'Post not found.',
          error: 'Not Found',
        });
        expect(await listIds('')).toEqual([]);
      });

      it('should count posts, follows and notification center lines in the stats', async () => {
        const follows = t.app.get(FollowsService);
        await follows.follow(bob, susan);
        await follows.follow(admin, susan);
        await storePost(susan, 'hello @bob');
        await storePost(bob, 'plain');
        const stats = await asAdmin(http().get('/api/admin/stats'));
        expect(stats.status).toBe(200);
        // Groups: the two follows of susan (one line) and bob's mention. State: two bells.
        expect(stats.body).toEqual({
          users: 3,
          messages: 0,
          notifications: 2,
          posts: 2,
          follows: 2,
          notification_groups: 2,
          open_streams: 0,
        });
      });
    });

    it('should log a disabled user out: their token, cookie and open streams stop working', async () => {
      const browser = new BrowserSession(t.app);
      await browser.login('bob', DEFAULT_PASSWORD);
      const bobToken = await tokenOf('bob');
      const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
        Cookie: await authCookieFor(t.app, bob),
      });
      await stream.waitFor((s) => s.frames.length >= 1);
      const ended = new Promise((resolve) => stream.response.on('end', resolve));

      const res = await asAdmin(
        http().patch(`/api/admin/users/${bob.id}`).send({ disabled: true }),
      );
      expect(res.status).toBe(200);
      expect(res.body.disabled).toBe(true);
      await ended;
      expect((await browser.get('/messages')).status).toBe(302);
      expect(
        (await http().get('/notifications').set('Authorization', `Bearer ${bobToken}`)).status,
      ).toBe(401);
      const login = await http()
        .post('/api/auth/token')
        .send({ username: 'bob', password: DEFAULT_PASSWORD });
      expect(login.status).toBe(401);
    });

    it('should not let an admin disable or demote themselves', async () => {
      const res = await asAdmin(
        http().patch(`/api/admin/users/${admin.id}`).send({ disabled: true }),
      );
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('You cannot disable or demote yourself.');
      const promoted = await asAdmin(
        http().patch(`/api/admin/users/${bob.id}`).send({ role: 'admin' }),
      );
      expect(promoted.body.role).toBe('admin');
    });
  });

  it('should serve the OpenAPI document with every admin route and the docs page', async () => {
    const json = await http().get('/api/docs-json');
    expect(json.status).toBe(200);
    const paths = json.body.paths as Record<
      string,
      Record<
        string,
        {
          responses: Record<string, unknown>;
          parameters?: { name: string; in: string }[];
          tags?: string[];
        }
      >
    >;
    expect(Object.keys(paths).sort()).toEqual([
      '/api/admin/messages',
      '/api/admin/messages/{id}',
      '/api/admin/notifications',
      '/api/admin/posts',
      '/api/admin/posts/{id}',
      '/api/admin/stats',
      '/api/admin/users',
      '/api/admin/users/{id}',
      '/api/auth/logout',
      '/api/auth/token',
      '/notifications',
      '/notifications/stream',
    ]);
    expect(Object.keys(paths['/notifications/stream'].get.responses).sort()).toEqual(
      ['200', '401', '409', '429'].sort(),
    );
    const postsList = paths['/api/admin/posts'].get;
    expect(postsList.tags).toEqual(['admin: posts']);
    expect(postsList.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(
      ['query:author', 'query:page', 'query:per_page', 'query:q'].sort(),
    );
    expect(Object.keys(postsList.responses).sort()).toEqual(['200', '400', '401', '403'].sort());
    const postsDelete = paths['/api/admin/posts/{id}'].delete;
    expect(postsDelete.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id']);
    expect(Object.keys(postsDelete.responses).sort()).toEqual(
      ['204', '400', '401', '403', '404'].sort(),
    );
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path.startsWith('/api/admin')) {
          expect([method, path, Object.keys(operation.responses)]).toEqual([
            method,
            path,
            expect.arrayContaining(['401', '403']),
          ]);
        }
      }
    }
    expect(
      Object.keys((json.body as { components: { schemas: object } }).components.schemas),
    ).toEqual(
      expect.arrayContaining([
        'AdminUserPage',
        'AdminUserDto',
        'AdminPostPage',
        'AdminPostDto',
        'UpdateUserDto',
        'SendNotificationDto',
        'ErrorDto',
        'StatsDto',
      ]),
    );
    const page = await http().get('/api/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('should promote a user or create an admin from the command line', async () => {
    const users = t.app.get(UsersService);
    await expect(createAdmin(users, ['susan'])).resolves.toBe('susan is now an admin.');
    expect((await users.findByUsername('susan'))?.role).toBe(Role.Admin);
    await expect(createAdmin(users, ['newadmin'])).rejects.toThrow('There is no user "newadmin"');
    await expect(
      createAdmin(users, ['newadmin', '--email', 'n@example.com', '--password', 'long-enough']),
    ).resolves.toBe('Created the admin account newadmin.');
    expect(await tokenOf('susan')).toBeTruthy();
  });
});
