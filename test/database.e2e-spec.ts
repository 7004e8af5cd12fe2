import { User } from '../src/users/user.entity';
import { createUser } from './factories/user.factory';
import { createTestApp, TestApp } from './utils/test-app';

describe('Database (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(() => t.close());

  it('should have built the schema from the migrations, with nothing left to generate', async () => {
    const migrations = await t.dataSource.query('SELECT name FROM migrations');
    expect(migrations.length).toBeGreaterThan(0);
    // The same comparison `typeorm migration:generate --check` makes.
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('should store 4-byte characters (utf8mb4) unchanged', async () => {
    const user = await createUser(t.app, 'emoji');
    await t.dataSource.getRepository(User).update(user.id, { aboutMe: '😀 𝄞 Привет ñ' });
    const read = await t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
    expect(read.aboutMe).toBe('😀 𝄞 Привет ñ');
  });

  it('should keep timestamps in UTC with milliseconds', async () => {
    const user = await createUser(t.app, 'clock');
    const moment = new Date('2026-03-04T05:06:07.891Z');
    await t.dataSource.getRepository(User).update(user.id, { lastSeen: moment });
    const read = await t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
    expect(read.lastSeen.toISOString()).toBe('2026-03-04T05:06:07.891Z');
    const later = await t.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.last_seen > :t', { t: new Date('2026-03-04T05:06:07.890Z') })
      .andWhere('u.id = :id', { id: user.id })
      .getCount();
    expect(later).toBe(1);
  });
});
