import type { Request, Response } from 'express';

export const AUTH_COOKIE = 'mb_token';

/** The browser's JWT: httpOnly (no script can read it), SameSite=Lax, Secure behind HTTPS. */
export function setAuthCookie(req: Request, res: Response, token: string, maxAgeMs?: number) {
  res.cookie(AUTH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: '/',
    // Without "remember me" the cookie ends with the browser session.
    ...(maxAgeMs ? { maxAge: maxAgeMs } : {}),
  });
}

export function clearAuthCookie(res: Response): void {
  res.clearCookie(AUTH_COOKIE, { path: '/' });
}

export function authCookieOf(req: Request): string | null {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[AUTH_COOKIE];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
