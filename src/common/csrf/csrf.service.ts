import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { doubleCsrf, DoubleCsrfUtilities } from 'csrf-csrf';
import { createHmac, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { AllConfigType } from '../../config/config.type';
import { sessionOf } from '../http/auth-session';

export const CSRF_FIELD = 'csrf_token';
const SESSION_COOKIE = 'mb_sid';

/**
 * Double-submit CSRF tokens (csrf-csrf). A logged-in user's token is bound to their login
 * session, so cookies planted by someone else (their own id cookie and token) can't make a
 * form of this user's pass; an anonymous form's token is bound to a random per-browser id
 * cookie, so a token stolen from one browser is useless in another.
 */
@Injectable()
export class CsrfService {
  private readonly csrf: DoubleCsrfUtilities;

  constructor(config: ConfigService<AllConfigType, true>) {
    // A key of its own, derived so JWT_SECRET stays the only secret to configure.
    const secret = createHmac('sha256', config.getOrThrow('auth.jwtSecret', { infer: true }))
      .update('csrf')
      .digest('base64url');
    this.csrf = doubleCsrf({
      getSecret: () => secret,
      getSessionIdentifier: (req) => {
        const session = sessionOf(req);
        return session
          ? `session:${session.id}`
          : `browser:${(req.cookies as Record<string, string>)[SESSION_COOKIE] ?? ''}`;
      },
      cookieName: 'mb_csrf',
      cookieOptions: { sameSite: 'lax', path: '/', secure: false, httpOnly: true },
      getCsrfTokenFromRequest: (req) =>
        (req.body as Record<string, string> | undefined)?.[CSRF_FIELD] ??
        req.headers['x-csrf-token'],
    });
  }

  /** Gives the browser its id cookie on its first request. */
  ensureSessionId(req: Request, res: Response): void {
    const cookies = req.cookies as Record<string, string>;
    if (!cookies[SESSION_COOKIE]) {
      cookies[SESSION_COOKIE] = randomBytes(18).toString('base64url');
      res.cookie(SESSION_COOKIE, cookies[SESSION_COOKIE], {
        httpOnly: true,
        sameSite: 'lax',
        secure: req.secure,
        path: '/',
      });
    }
  }

  token(req: Request, res: Response): string {
    return this.csrf.generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false });
  }

  isValid(req: Request): boolean {
    return this.csrf.validateRequest(req);
  }
}
