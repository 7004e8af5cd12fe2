import fc from 'fast-check';
import request from 'supertest';
import { AuthService } from '../../src/auth/auth.service';
import { Message } from '../../src/messages/message.entity';
import { MessagesService } from '../../src/messages/messages.service';
import { Role, User } from '../../src/users/user.entity';
import { createUser } from '../factories/user.factory';
import { createTestApp, TestApp } from '../utils/test-app';

/** Finding 9: only canonical decimal ids are ids, on every route that takes one. */
describe('Attack: ids in the path', () => {
  let t: TestApp;
  let target: User;
  let bearer: string;

  const http = () => request(t.app.getHttpServer());

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await createUser(t.app, 'root', { role: Role.Admin });
    const other = await createUser(t.app, 'other');
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
});
