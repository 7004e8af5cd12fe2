import request from 'supertest';
import { NotificationsService } from '../src/notifications/notifications.service';
import { User } from '../src/users/user.entity';
import { authCookieFor, createUser } from './factories/user.factory';
import { clearDatabase } from './utils/clear-database';
import { SseClient } from './utils/sse-client';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * NotificationsService.since(): the state a stream starts with and the tutorial's
 * GET /notifications?since= serve, on rows written straight into the table, as each driver
 * returns them (user_id NULL for announcements, fractional timestamps, JSON payloads).
 */
describe('NotificationsService.since (e2e)', () => {
  let t: TestApp;
  let sut: NotificationsService;
  let ann: User;
  let bob: User;

  const insert = (userId: number | null, name: string, timestamp: number, data: unknown) =>
    t.dataSource.query(
      'INSERT INTO notifications (user_id, name, timestamp, payload_json) VALUES (?, ?, ?, ?)',
      [userId, name, timestamp, JSON.stringify(data)],
    );

  beforeAll(async () => {
    t = await createTestApp({}, { listen: true });
    sut = t.app.get(NotificationsService);
  });

  afterAll(() => t.close());

  beforeEach(async () => {
    ann = await createUser(t.app, 'ann');
    bob = await createUser(t.app, 'bob');
  });

  afterEach(() => clearDatabase(t.dataSource));

  it('should return own rows and announcements, newest of each name, oldest first', async () => {
    await insert(ann.id, 'unread_message_count', 1_790_000_002.25, 3);
    await insert(null, 'announcement', 1_790_000_001.5, { message: 'новое 🎉', n: [1, null] });
    await insert(bob.id, 'unread_message_count', 1_790_000_009, 7);
    await insert(ann.id, 'greeting', 1_790_000_003.125, 'plain "text"');
    await insert(ann.id, 'nothing', 1_790_000_000.000123, null);
    // An announcement and the user's own row of one name: the later one is the state.
    await insert(null, 'maintenance', 1_790_000_004, { at: 'night' });
    await insert(ann.id, 'maintenance', 1_790_000_005, { at: 'noon' });
    await insert(bob.id, 'shared', 1_790_000_006, 'bob');
    await insert(null, 'shared', 1_790_000_007, 'everyone');

    const expected =
      '[{"name":"nothing","data":null,"timestamp":1790000000.000123},' +
      '{"name":"announcement","data":{"message":"новое 🎉","n":[1,null]},"timestamp":1790000001.5},' +
      '{"name":"unread_message_count","data":3,"timestamp":1790000002.25},' +
      '{"name":"greeting","data":"plain \\"text\\"","timestamp":1790000003.125},' +
      '{"name":"maintenance","data":{"at":"noon"},"timestamp":1790000005},' +
      '{"name":"shared","data":"everyone","timestamp":1790000007}]';
    expect(JSON.stringify(await sut.since(ann.id, 0))).toBe(expected);

    const http = await request(t.app.getHttpServer())
      .get('/notifications?since=0')
      .set('Cookie', await authCookieFor(t.app, ann));
    expect(http.text).toBe(expected);
  });

  it('should keep only rows strictly after `since`', async () => {
    await insert(ann.id, 'a', 1_790_000_001.5, 1);
    await insert(null, 'b', 1_790_000_002, 2);
    await insert(ann.id, 'c', 1_790_000_002.75, 3);
    await insert(null, 'd', 1_790_000_003, 4);

    const names = async (since: number) => (await sut.since(ann.id, since)).map((n) => n.name);
    await expect(names(1_790_000_001.5)).resolves.toEqual(['b', 'c', 'd']);
    await expect(names(1_790_000_002)).resolves.toEqual(['c', 'd']);
    await expect(names(1_790_000_003)).resolves.toEqual([]);
    // A newer announcement of a name hides the user's older row, even when only it is new.
    await insert(null, 'a', 1_790_000_004, 'for all');
    await expect(sut.since(ann.id, 1_790_000_003)).resolves.toEqual([
      { name: 'a', data: 'for all', timestamp: 1_790_000_004 },
    ]);
  });

  it('should order rows of the same moment by when they were written', async () => {
    await insert(ann.id, 'z', 1_790_000_001, 'first');
    await insert(null, 'y', 1_790_000_001, 'second');
    await insert(ann.id, 'x', 1_790_000_001, 'third');

    await expect(sut.since(ann.id, 0)).resolves.toEqual([
      { name: 'z', data: 'first', timestamp: 1_790_000_001 },
      { name: 'y', data: 'second', timestamp: 1_790_000_001 },
      { name: 'x', data: 'third', timestamp: 1_790_000_001 },
    ]);
    // The user's row and an announcement of one name and moment: still one state of the name.
    await insert(ann.id, 'w', 1_790_000_002, 'own');
    await insert(null, 'w', 1_790_000_002, 'everyone');
    const w = (await sut.since(ann.id, 0)).filter((n) => n.name === 'w');
    expect(w).toEqual([{ name: 'w', data: expect.any(String), timestamp: 1_790_000_002 }]);
  });

  it('should return nothing for a user without state when there are no announcements', async () => {
    await insert(bob.id, 'a', 1_790_000_001, 1);
    await expect(sut.since(ann.id, 0)).resolves.toEqual([]);
  });

  it("should start a stream with the same state, frame for frame, as the user's data", async () => {
    await insert(ann.id, 'unread_message_count', 1_790_000_002.25, 3);
    await insert(null, 'announcement', 1_790_000_001.5, { message: 'новое 🎉' });
    const stream = await SseClient.connect(t.baseUrl, '/notifications/stream', {
      Cookie: await authCookieFor(t.app, ann),
    });
    try {
      await stream.waitFor((s) => s.states.length === 2);
      expect(stream.frames.filter((f) => f.event === 'state').map((f) => f.data)).toEqual(
        (await sut.since(ann.id, 0)).map((dto) => JSON.stringify(dto)),
      );
    } finally {
      stream.close();
    }
  });
});
