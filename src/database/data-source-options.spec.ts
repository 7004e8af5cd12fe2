import { buildDataSourceOptions } from './data-source-options';

describe(buildDataSourceOptions.name, () => {
  it('should size the MySQL pool from the given setting, not from process.env', () => {
    process.env.DB_POOL_SIZE = '999';
    try {
      const sut = buildDataSourceOptions('mysql://u:p@db:3306/app', {
        poolSize: 20,
        serverFlavour: 'mariadb',
      });
      expect(sut).toMatchObject({ type: 'mariadb', extra: { connectionLimit: 20 } });
      expect(buildDataSourceOptions('mysql://u:p@db:3306/app')).toMatchObject({
        type: 'mysql',
        extra: { connectionLimit: 10 },
      });
    } finally {
      delete process.env.DB_POOL_SIZE;
    }
  });
});
