import { NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { TransactionService, Tx } from '../database/transaction.service';
import { MailService } from '../mail/mail.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { DigestItems, emptySection, SETTLE_MS } from './digest-content';
import { DigestEmails } from './digest-emails.service';
import { dueUserIds, readDigestItems } from './digest-items';
import { DigestsService } from './digests.service';

jest.mock('./digest-items');
const dueUserIdsMock = jest.mocked(dueUserIds);
const readDigestItemsMock = jest.mocked(readDigestItems);

const HOUR = 3_600_000;
const NOW = new Date('2026-12-07T12:00:00.000Z');

function dueUser(id: number, overrides: Partial<User> = {}): User {
  return Object.assign(new User(), {
    id,
    username: `u${id}`,
    email: `u${id}@example.com`,
    disabled: false,
    emailConfirmedAt: new Date(NOW.getTime() - 24 * HOUR),
    lastSeen: new Date(NOW.getTime() - 2 * HOUR),
    digestSentAt: null,
    digestedUntil: null,
    notificationsSeenAt: null,
    emailMessages: true,
    emailMentions: true,
    notifyMentions: true,
    ...overrides,
  });
}

const oneMessage = (): DigestItems => ({
  messages: {
    total: 1,
    senders: 1,
    items: [{ username: 'alice', count: 1, latestAt: new Date(NOW.getTime() - HOUR) }],
  },
  follows: emptySection(),
  mentions: emptySection(),
  announcements: emptySection(),
});

describe(DigestsService.name, () => {
  let sut: DigestsService;
  let rows: Map<number, User>;
  let updates: { id: number; changes: Partial<User> }[];
  let afterCommit: (() => void)[];
  let mail: { queue: jest.Mock; wake: jest.Mock };

  beforeEach(async () => {
    rows = new Map();
    updates = [];
    afterCommit = [];
    mail = { queue: jest.fn().mockResolvedValue(undefined), wake: jest.fn() };
    const manager = {
      getRepository: () => ({
        update: (where: { id: number }, changes: Partial<User>) => {
          updates.push({ id: where.id, changes });
          return Promise.resolve({ affected: 1 });
        },
      }),
    };
    const tx = { manager, afterCommit: (callback: () => void) => afterCommit.push(callback) };
    const moduleRef = await Test.createTestingModule({
      providers: [
        DigestsService,
        {
          provide: TransactionService,
          useValue: { run: (work: (tx: Tx) => Promise<unknown>) => work(tx as unknown as Tx) },
        },
        {
          provide: UsersService,
          useValue: {
            lockAllForUpdate: (_manager: unknown, ids: number[]) => {
              const user = rows.get(ids[0]);
              return user ? Promise.resolve([user]) : Promise.reject(new NotFoundException());
            },
          },
        },
        { provide: MailService, useValue: mail },
        {
          provide: DigestEmails,
          useValue: { compose: (user: User) => ({ kind: 'digest', to: user.email }) },
        },
        {
          provide: ConfigService,
          useValue: { getOrThrow: () => 1 * 3600 },
        },
      ],
    }).compile();
    sut = moduleRef.get(DigestsService);
    dueUserIdsMock.mockReset();
    readDigestItemsMock.mockReset();
  });

  it('should queue a digest, move the cursor to the settled cutoff, and wake the sender after commit', async () => {
    rows.set(1, dueUser(1));
    dueUserIdsMock.mockResolvedValueOnce([1]);
    readDigestItemsMock.mockResolvedValueOnce(oneMessage());
    await expect(sut.runOnce(NOW)).resolves.toBe(1);
    expect(mail.queue).toHaveBeenCalledWith(expect.anything(), {
      kind: 'digest',
      to: 'u1@example.com',
    });
    expect(updates).toEqual([
      {
        id: 1,
        changes: {
          digestedUntil: new Date(NOW.getTime() - SETTLE_MS),
          digestSentAt: NOW,
        },
      },
    ]);
    expect(mail.wake).not.toHaveBeenCalled();
    afterCommit.forEach((callback) => callback());
    expect(mail.wake).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['seen since the batch was read', { lastSeen: new Date(NOW.getTime() - 60_000) }],
    ['sent a digest by another run meanwhile', { digestSentAt: new Date(NOW.getTime() - 1000) }],
    ['disabled meanwhile', { disabled: true }],
  ])('should send nothing to a user %s (checked again under the lock)', async (_name, changes) => {
    rows.set(1, dueUser(1, changes));
    dueUserIdsMock.mockResolvedValueOnce([1]);
    await expect(sut.runOnce(NOW)).resolves.toBe(0);
    expect(readDigestItemsMock).not.toHaveBeenCalled();
    expect([mail.queue.mock.calls, updates]).toEqual([[], []]);
  });

  it('should send nothing, and keep the cursor, when everything was read before the run', async () => {
    rows.set(1, dueUser(1));
    dueUserIdsMock.mockResolvedValueOnce([1]);
    readDigestItemsMock.mockResolvedValueOnce({
      ...oneMessage(),
      messages: { total: 0, senders: 0, items: [] },
    });
    await expect(sut.runOnce(NOW)).resolves.toBe(0);
    expect([mail.queue.mock.calls, updates]).toEqual([[], []]);
  });

  it('should skip a user deleted since the batch was read, and go on with the others', async () => {
    rows.set(2, dueUser(2));
    dueUserIdsMock.mockResolvedValueOnce([1, 2]);
    readDigestItemsMock.mockResolvedValueOnce(oneMessage());
    await expect(sut.runOnce(NOW)).resolves.toBe(1);
    expect(updates.map((u) => u.id)).toEqual([2]);
  });

  it('should read the next batch after the last id while the lease holds, and stop when it is lost', async () => {
    const full = Array.from({ length: 50 }, (_, i) => i + 1);
    dueUserIdsMock.mockResolvedValueOnce(full).mockResolvedValueOnce([51]);
    const keepGoing = jest.fn().mockResolvedValueOnce(true);
    await sut.runOnce(NOW, keepGoing);
    expect(dueUserIdsMock.mock.calls.map((call) => call[2])).toEqual([0, 50]);
    expect(keepGoing).toHaveBeenCalledTimes(1);

    dueUserIdsMock.mockReset().mockResolvedValueOnce(full);
    await sut.runOnce(NOW, () => Promise.resolve(false));
    expect(dueUserIdsMock).toHaveBeenCalledTimes(1);
  });
});
