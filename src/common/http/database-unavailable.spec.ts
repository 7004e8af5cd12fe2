import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe(isDatabaseUnavailable.name, () => {
  it('should recognise a database that is gone, directly or wrapped by TypeORM', () => {
    expect(isDatabaseUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(withCode('PROTOCOL_CONNECTION_LOST'))).toBe(true);
    expect(
      isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], withCode('ER_SERVER_SHUTDOWN'))),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(new Error("Can't add new command when connection is in closed state")),
    ).toBe(true);
  });

  it('should leave every other error to be a 500', () => {
    expect(isDatabaseUnavailable(withCode('ER_DUP_ENTRY'))).toBe(false);
    expect(
      isDatabaseUnavailable(new QueryFailedError('SELECT', [], withCode('ER_PARSE_ERROR'))),
    ).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});
