import { Repository } from 'typeorm';
import { User } from './user.entity';
import { UsersService } from './users.service';

describe(UsersService.name, () => {
  describe('recordVisit', () => {
    const setup = (lastSeenAgoMs: number, language = 'en') => {
      const users = { update: jest.fn(() => Promise.resolve()) };
      const sut = new UsersService(users as unknown as Repository<User>);
      const user = Object.assign(new User(), {
        id: 5,
        language,
        lastSeen: new Date(Date.now() - lastSeenAgoMs),
      });
      return { sut, users, user };
    };

    it('should write nothing on a visit soon after the last one in the same language', async () => {
      const { sut, users, user } = setup(1000);
      await sut.recordVisit(user, 'en');
      await sut.recordVisit(user);
      expect(users.update).not.toHaveBeenCalled();
    });

    it('should remember a new language at once, in one write', async () => {
      const { sut, users, user } = setup(1000);
      await sut.recordVisit(user, 'ru');
      expect(users.update).toHaveBeenCalledTimes(1);
      expect(users.update).toHaveBeenCalledWith(5, { language: 'ru' });
      expect(user.language).toBe('ru');
    });

    it('should move last_seen and the language together when both are due', async () => {
      const { sut, users, user } = setup(120_000, 'es');
      await sut.recordVisit(user, 'en');
      expect(users.update).toHaveBeenCalledWith(5, { lastSeen: expect.any(Date), language: 'en' });
    });

    it('should leave the language when the request says none (JSON, the API)', async () => {
      const { sut, users, user } = setup(120_000, 'es');
      await sut.recordVisit(user, undefined);
      expect(users.update).toHaveBeenCalledWith(5, { lastSeen: expect.any(Date) });
      expect(user.language).toBe('es');
    });
  });
});
