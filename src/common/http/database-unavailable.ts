import { isError } from '../is-error';

/** Seconds a client is asked to wait (Retry-After) while the database is away. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * Error codes that mean the database can't be reached right now (server stopped, restarted,
 * network cut, connection limit, file locked), not that the request was wrong: answered 503
 * with Retry-After, never a 500 with a stack trace. The pool reconnects by itself.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
]);

/** mysql2's words for a pooled connection that died between queries. */
const CLOSED_CONNECTION = /connection is in closed state|pool is closed/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!isError(error)) {
    return false;
  }
  const { code, driverError } = error as Error & { code?: unknown; driverError?: unknown };
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
    return true;
  }
  if (CLOSED_CONNECTION.test(error.message)) {
    return true;
  }
  return isError(driverError) && driverError !== error && isDatabaseUnavailable(driverError);
}
