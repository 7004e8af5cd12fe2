import { createSecretKey, KeyObject } from 'node:crypto';

/**
 * The JWT secret as a KeyObject, made once at start-up. Given a plain string, jsonwebtoken
 * first tries to parse it as a PEM public key on every sign and verify and falls back on the
 * exception, on every authenticated request.
 */
export function jwtKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
