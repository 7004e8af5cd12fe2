import { Tx } from '../database/transaction.service';
import { User } from '../users/user.entity';
import {
  NotificationCenterService,
  groupKey,
  GROUP_WINDOW_MS,
} from './notification-center.service';
import { NotificationGroup, NotificationKind } from './notification-group.entity';

/** A transaction whose repositories keep rows in memory. */
function fakeTx(groups: NotificationGroup[]) {
  const increments: number[] = [];
  const groupRepository = {
    findOneBy: jest.fn(({ userId, groupKey: key }: { userId: number; groupKey: string }) =>
      Promise.resolve(groups.find((g) => g.userId === userId && g.groupKey === key) ?? null),
    ),
    update: jest.fn(({ id }: { id: number }, changes: Partial<NotificationGroup>) => {
      Object.assign(
        groups.find((g) => g.id === id)!,
        changes,
      );
      return Promise.resolve();
    }),
    insert: jest.fn((row: NotificationGroup) => {
      const id = groups.length + 1;
      groups.push({ ...row, id });
      return Promise.resolve({ identifiers: [{ id }] });
    }),
  };
  const userRepository = {
    increment: jest.fn(() => {
      increments.push(1);
      return Promise.resolve();
    }),
  };
  const tx = {
    manager: {
      getRepository: (entity: unknown) =>
        entity === NotificationGroup ? groupRepository : userRepository,
    },
    afterCommit: jest.fn(),
  } as unknown as Tx;
  return { tx, increments };
}

function recipient(overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id: 7,
    unseenNotifications: 0,
    notifyFollows: true,
    notifyMentions: true,
    notifyMessages: false,
    notifyAnnouncements: true,
    ...overrides,
  });
}

describe(NotificationCenterService.name, () => {
  const sut = new NotificationCenterService({} as never, {} as never, {} as never, {} as never);

  it('should key follows by window, messages by sender and window, and each mention alone', () => {
    const at = 5 * GROUP_WINDOW_MS + 1;
    expect(groupKey({ kind: NotificationKind.Follow, actorId: 1 }, at)).toBe('follow:5');
    expect(groupKey({ kind: NotificationKind.Message, actorId: 3 }, at)).toBe('message:3:5');
    expect(groupKey({ kind: NotificationKind.Mention, actorId: 1, postId: 9 }, at)).toBe(
      'mention:9',
    );
  });

  it("should group a second follower into the first one's line and count both on the bell", async () => {
    const groups: NotificationGroup[] = [];
    const { tx, increments } = fakeTx(groups);
    const me = recipient();
    const first = await sut.add(tx, me, { kind: NotificationKind.Follow, actorId: 1 });
    const second = await sut.add(tx, me, { kind: NotificationKind.Follow, actorId: 2 });
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ count: 2, actorIds: '[2,1]' });
    expect(increments).toHaveLength(2);
    expect(me.unseenNotifications).toBe(2);
    expect(first.map((e) => e.name)).toEqual(['notification', 'notification_count']);
    expect(second[1]).toEqual({ userId: 7, name: 'notification_count', data: 2 });
  });

  it('should not count the same follower twice in one window', async () => {
    const groups: NotificationGroup[] = [];
    const { tx } = fakeTx(groups);
    const me = recipient();
    await sut.add(tx, me, { kind: NotificationKind.Follow, actorId: 1 });
    await expect(sut.add(tx, me, { kind: NotificationKind.Follow, actorId: 1 })).resolves.toEqual(
      [],
    );
    expect(groups[0].count).toBe(1);
    expect(me.unseenNotifications).toBe(1);
  });

  it('should give every mention a line of its own', async () => {
    const groups: NotificationGroup[] = [];
    const { tx } = fakeTx(groups);
    const me = recipient();
    await sut.add(tx, me, { kind: NotificationKind.Mention, actorId: 1, postId: 10 });
    await sut.add(tx, me, { kind: NotificationKind.Mention, actorId: 1, postId: 11 });
    expect(groups.map((g) => [g.groupKey, g.postId, g.count])).toEqual([
      ['mention:10', 10, 1],
      ['mention:11', 11, 1],
    ]);
  });

  it('should store nothing for a kind the recipient turned off', async () => {
    const groups: NotificationGroup[] = [];
    const { tx, increments } = fakeTx(groups);
    const me = recipient({ notifyFollows: false });
    await expect(sut.add(tx, me, { kind: NotificationKind.Follow, actorId: 1 })).resolves.toEqual(
      [],
    );
    await expect(sut.add(tx, me, { kind: NotificationKind.Message, actorId: 1 })).resolves.toEqual(
      [],
    );
    expect(groups).toEqual([]);
    expect(increments).toEqual([]);
  });
});
