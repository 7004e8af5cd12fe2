import { readDatabaseConfig } from './database.config';

describe(readDatabaseConfig.name, () => {
  it('should default to the SQLite file, a pool of 10 and migrations at start-up', () => {
    expect(readDatabaseConfig({})).toEqual({
      url: 'sqlite:data/microblog.sqlite',
      poolSize: 10,
      migrationsRun: true,
    });
  });

  it('should read DB_POOL_SIZE and DB_MIGRATIONS_RUN', () => {
    const sut = readDatabaseConfig({
      DATABASE_URL: 'mysql://u:p@db:3306/app',
      DB_POOL_SIZE: '25',
      DB_MIGRATIONS_RUN: 'false',
    });
    expect(sut).toEqual({ url: 'mysql://u:p@db:3306/app', poolSize: 25, migrationsRun: false });
    expect(readDatabaseConfig({ DB_MIGRATIONS_RUN: 'true' }).migrationsRun).toBe(true);
    expect(readDatabaseConfig({ DB_POOL_SIZE: '1' }).poolSize).toBe(1);
    expect(readDatabaseConfig({ DB_POOL_SIZE: '1000' }).poolSize).toBe(1000);
  });

  it.each(['0', '1001', '2.5', 'ten', '-3'])('should refuse DB_POOL_SIZE=%j', (value) => {
    expect(() => readDatabaseConfig({ DB_POOL_SIZE: value })).toThrow(
      'Invalid configuration: DB_POOL_SIZE: DB_POOL_SIZE must be a whole number from 1 to 1000',
    );
  });

  it.each(['no', '0', 'FALSE', 'off'])('should refuse DB_MIGRATIONS_RUN=%j', (value) => {
    expect(() => readDatabaseConfig({ DB_MIGRATIONS_RUN: value })).toThrow(
      'Invalid configuration: DB_MIGRATIONS_RUN: DB_MIGRATIONS_RUN must be true or false',
    );
  });

  it('should refuse a DATABASE_URL of an unsupported database', () => {
    expect(() => readDatabaseConfig({ DATABASE_URL: 'postgres://db/app' })).toThrow(
      'DATABASE_URL must look like sqlite:<path> or mysql://user:pass@host:port/db',
    );
  });
});
