import { types } from 'node:util';

/**
 * An Error from any realm: `instanceof Error` is false for errors that Node's own modules
 * (net, the database drivers' sockets) create when the code runs in another context, as under
 * Jest, and a database that is gone must not read as a bad token there.
 */
export function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}
