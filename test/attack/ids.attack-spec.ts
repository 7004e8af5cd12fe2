import fc from 'fast-check';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { Post } from '../../src/posts/post.entity';
import { PostsService } from '../../src/posts/posts.service';
import { Role, User } from '../../src/users/user.entity';
import { createUser, DEFAULT_PASSWORD } from '../factories/user.factory';
import { BrowserSession, csrfTokenOf } from '../utils/browser-session';
import { createTestApp, TestApp } from '../utils/test-app';

/** Finding 9: only canonical decimal ids are ids, on every route that takes one. */
describe('Attack: ids in the path', () => {
  let t: TestApp;
  let target: User;
  let bearer: string;
  let other: User;

  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await createUser(t.app, 'root', { role: Role.Admin });
    other = await createUser(t.app, 'other');
    // Many users, so that the target has an id with two digits (57-like ids in the finding).
    for (let i = 0; i < 60; i++) {
      target = await createUser(t.app, `user${i}`);
    }
    await t.app.get(MessagesService).send(other, target, 'kept');
    bearer = `Bearer ${(await t.app.get(AuthService).issueToken(admin, false)).token}`;
  });

  afterAll(() => t.close());

  const junkSpellings = (id: number) => [
    `0x${id.toString(16)}`,
    `${id}.0`,
    `+${id}`,
    `%20${id}`,
    `${id}%20`,
    `0${id}`,
    `${id}e0`,
    '1e9',
    '-1',
    '0',
    '2147483648',
    '99999999999999999999',
  ];

  it('should answer 400 to every other spelling of an id, reading and changing nothing', async () => {
    const message = await t.dataSource
      .getRepository(Message)
      .findOneByOrFail({ recipientId: target.id });
    for (const raw of junkSpellings(target.id)) {
      const get = await http().get(`/api/admin/users/${raw}`).set('Authorization', bearer);
      const patch = await http()
        .patch(`/api/admin/users/${raw}`)
        .set('Authorization', bearer)
        .send({ about_me: 'changed through a junk id' });
      expect([raw, get.status, patch.status]).toEqual([raw, 400, 400]);
    }
    for (const raw of junkSpellings(message.id)) {
      const del = await http().delete(`/api/admin/messages/${raw}`).set('Authorization', bearer);
      expect([raw, del.status]).toEqual([raw, 400]);
    }
    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: target.id });
    expect(stored.aboutMe).toBeNull();
    expect(await t.dataSource.getRepository(Message).countBy({ id: message.id })).toBe(1);
    // The canonical spelling still works.
    const ok = await http().get(`/api/admin/users/${target.id}`).set('Authorization', bearer);
    expect([ok.status, (ok.body as { id: number }).id]).toEqual([200, target.id]);
  });

  it('should answer 400 to other spellings of ids in admin queries', async () => {
    for (const raw of junkSpellings(target.id)) {
      for (const query of [`user=${raw}`]) {
        const res = await http()
          .get(`/api/admin/notifications?${query}`)
          .set('Authorization', bearer);
        expect([query, res.status]).toEqual([query, 400]);
      }
      for (const query of [`sender=${raw}`, `recipient=${raw}`]) {
        const res = await http().get(`/api/admin/messages?${query}`).set('Authorization', bearer);
        expect([query, res.status]).toEqual([query, 400]);
      }
    }
    const ok = await http()
      .get(`/api/admin/messages?recipient=${target.id}`)
      .set('Authorization', bearer);
    expect([ok.status, (ok.body as { items: unknown[] }).items.length]).toEqual([200, 1]);
  });

  it('should never answer 500, and 200 only for the canonical spelling of an existing id', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.double().map(String))
          // "", "." and ".." name the list route itself, not an id.
          .filter((raw) => !['', '.', '..'].includes(raw)),
        async (raw) => {
          const res = await http()
            .get(`/api/admin/users/${encodeURIComponent(raw)}`)
            .set('Authorization', bearer);
          if (res.status === 200) {
            return String((res.body as { id: number }).id) === raw;
          }
          return [400, 404].includes(res.status);
        },
      ),
      { numRuns: 150 },
    );
  });
  describe('posts', () => {
    let author: BrowserSession;
    let post: Post;
    let others: Post[];
    const posts = () => t.dataSource.getRepository(Post);

    beforeAll(async () => {
      // Ids with two digits, like the finding's: the author's post is the last of many.
      others = [];
      for (let i = 0; i < 60; i++) {
        others.push(await t.app.get(PostsService).create(target, `post ${i}`));
      }
      post = others[others.length - 1];
      author = new BrowserSession(t.app);
      await author.login(target.username, DEFAULT_PASSWORD);
    });

    /** The author's delete form, posted to `/posts/<raw>/delete`. */
    async function deleteAs(raw: string) {
      const token = csrfTokenOf((await author.get('/')).text);
      return author.agent
        .post(`/posts/${raw}/delete`)
        .set('Accept', 'text/html')
        .type('form')
        .send({ csrf_token: token });
    }

    it("should answer 400 to every other spelling of a post's id in the delete form, deleting nothing", async () => {
      const before = await posts().count();
      const observed = [];
      for (const raw of [
        ...junkSpellings(post.id),
        'abc',
        '1.5',
        'NaN',
        'Infinity',
        '1e3',
        encodeURIComponent('٥٧'),
      ]) {
        const res = await deleteAs(raw);
        observed.push([raw, res.status]);
      }
      expect(observed).toEqual(observed.map(([raw]) => [raw, 400]));
      expect(await posts().count()).toBe(before);
      // The canonical spelling deletes it (the refusals came from the id, not the form).
      const ok = await deleteAs(String(post.id));
      expect(ok.status).toBe(302);
      expect(await posts().countBy({ id: post.id })).toBe(0);
      post = others[others.length - 2];
    });

    it('should answer 404 to a canonical id of no post, or of a post of someone else', async () => {
      const before = await posts().count();
      const foreign = await t.app.get(PostsService).create(other, 'not yours');
      for (const raw of ['2147483647', String(foreign.id)]) {
        const res = await deleteAs(raw);
        expect([raw, res.status]).toEqual([raw, 404]);
      }
      expect(await posts().count()).toBe(before + 1);
    });

    it('should answer 400 to every other spelling of an id in the admin API, deleting nothing', async () => {
      const before = await posts().count();
      for (const raw of junkSpellings(post.id)) {
        const del = await http().delete(`/api/admin/posts/${raw}`).set('Authorization', bearer);
        expect([raw, del.status]).toEqual([raw, 400]);
        const list = await http()
          .get(`/api/admin/posts?author=${raw}`)
          .set('Authorization', bearer);
        expect([`author=${raw}`, list.status]).toEqual([`author=${raw}`, 400]);
      }
      expect(await posts().count()).toBe(before);
      const ok = await http()
        .get(`/api/admin/posts?author=${target.id}`)
        .set('Authorization', bearer);
      expect([ok.status, (ok.body as { items: unknown[] }).items.length > 0]).toEqual([200, true]);
    });

    /** The posts a live fetch returned, by id, in page order. */
    const liveIds = (html: string) =>
      [...html.matchAll(/data-post-id="(\d+)"/g)].map((m) => Number(m[1]));

    it('should leave junk out of a live fetch, serving only the canonical ids of posts that exist', async () => {
      const [a, b] = others.slice(0, 2);
      const cases: [string, number[]][] = [
        ['abc', []],
        ['-1', []],
        ['0', []],
        ['1e3', []],
        ['1.5', []],
        ['0x10', []],
        [`0${a.id}`, []],
        [`+${a.id}`, []],
        [`%20${a.id}`, []],
        [`${a.id}.0`, []],
        ['2147483648', []],
        ['99999999999999999999', []],
        ['9'.repeat(5000), []],
        [',,,', []],
        ['', []],
        [`${a.id},abc,${b.id}`, [b.id, a.id]],
        [`${a.id},${a.id},${a.id}`, [a.id]],
        [`2147483647,${a.id}`, [a.id]],
        [`${a.id}%2C${b.id}`, [b.id, a.id]],
        // A repeated or array-style ?ids= is no list: nothing, never a 500.
        [`${a.id}&ids=${b.id}`, []],
        // The query is parsed flat: "ids[]" is another parameter.
        [`${a.id}&ids[]=${b.id}`, [a.id]],
      ];
      const observed = [];
      for (const [raw, _ids] of cases) {
        const res = await author.get(`/posts/live?ids=${raw}`);
        observed.push([raw.slice(0, 30), res.status, liveIds(res.text)]);
      }
      expect(observed).toEqual(cases.map(([raw, ids]) => [raw.slice(0, 30), 200, ids]));
      const arrayStyle = await author.get(`/posts/live?ids[]=${a.id}&ids[x]=${b.id}`);
      expect([arrayStyle.status, liveIds(arrayStyle.text)]).toEqual([200, []]);
    });

    it('should serve at most 50 posts to one live fetch, however many ids it names', async () => {
      const ids = [...others.map((p) => p.id), ...Array.from({ length: 1000 }, (_, i) => i + 1)];
      const res = await author.get(`/posts/live?ids=${ids.join(',')}`);
      expect(res.status).toBe(200);
      expect(new Set(liveIds(res.text)).size).toBe(50);
    });

    it('should never answer 500 to any ?ids= or any id in the delete form', async () => {
      const before = await posts().count();
      const raw = fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.integer().map(String),
        fc.double().map(String),
        fc
          .array(fc.oneof(fc.integer().map(String), fc.string({ maxLength: 4 })), { maxLength: 8 })
          .map((parts) => parts.join(',')),
      );
      await fc.assert(
        fc.asyncProperty(raw, async (value) => {
          const live = await author.get(`/posts/live?ids=${encodeURIComponent(value)}`);
          expect([value, live.status]).toEqual([value, 200]);
          // Canonical ids are the tests above; "", "." and ".." are other paths.
          if (!/^[1-9]\d*$/.test(value) && !['', '.', '..'].includes(value)) {
            const del = await deleteAs(encodeURIComponent(value));
            expect([value, [400, 404].includes(del.status)]).toEqual([value, true]);
          }
        }),
        { numRuns: 100 },
      );
      expect(await posts().count()).toBe(before);
    });
  });
});
