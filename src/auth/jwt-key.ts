import { createSecretKey, KeyObject } from 'node:crypto';

/**
 * The JWT secret as a KeyObject, made once at start-up. Given a plain string, jsonwebtoken
 * first tries to parse it as a PEM public key on every sign and verify and falls back on the
 * exception: profiled in bench/ at about 0.4 ms of CPU per authenticated request, most of
 * what opening an event stream cost.
 */
export function jwtKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
