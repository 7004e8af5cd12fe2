import { BadRequestException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import { User } from '../users/user.entity';
import { UnsubscribeLinks } from './unsubscribe-links';
import { UnsubscribeService } from './unsubscribe.service';

describe(UnsubscribeService.name, () => {
  const links = new UnsubscribeLinks('a-test-secret-that-is-long-enough-0123456789');
  let sut: UnsubscribeService;
  let users: { update: jest.Mock };

  beforeEach(async () => {
    users = { update: jest.fn().mockResolvedValue({ affected: 1 }) };
    const moduleRef = await Test.createTestingModule({
      providers: [
        UnsubscribeService,
        { provide: getRepositoryToken(User), useValue: users },
        { provide: UnsubscribeLinks, useValue: links },
      ],
    }).compile();
    sut = moduleRef.get(UnsubscribeService);
  });

  it('should show the question for a genuine link and change nothing', () => {
    const token = links.token({ userId: 7, scope: 'all' });
    expect(sut.page(token)).toEqual({ action: `/unsubscribe/${token}`, all: true, kindKey: null });
    expect(users.update).not.toHaveBeenCalled();
  });

  it('should turn every email kind off for a link of scope "all"', async () => {
    const token = links.token({ userId: 7, scope: 'all' });
    await expect(sut.unsubscribe(token)).resolves.toMatchObject({ all: true });
    expect(users.update).toHaveBeenCalledWith(
      { id: 7 },
      {
        emailFollows: false,
        emailMentions: false,
        emailMessages: false,
        emailAnnouncements: false,
      },
    );
  });

  it('should turn only its kind off for a link of one kind', async () => {
    const token = links.token({ userId: 7, scope: 'mentions' });
    await expect(sut.unsubscribe(token)).resolves.toEqual({
      action: `/unsubscribe/${token}`,
      all: false,
      kindKey: 'email.kind_mentions',
    });
    expect(users.update).toHaveBeenCalledWith({ id: 7 }, { emailMentions: false });
  });

  it('should answer the same for an account that is gone (nothing left to update)', async () => {
    users.update.mockResolvedValue({ affected: 0 });
    const token = links.token({ userId: 404, scope: 'all' });
    await expect(sut.unsubscribe(token)).resolves.toMatchObject({ all: true });
  });

  it('should refuse a forged link with 400 before touching the database', async () => {
    const token = links.token({ userId: 7, scope: 'all' }).replace(/^7\./, '8.');
    expect(() => sut.page(token)).toThrow(BadRequestException);
    await expect(sut.unsubscribe(token)).rejects.toThrow(BadRequestException);
    expect(users.update).not.toHaveBeenCalled();
  });
});
