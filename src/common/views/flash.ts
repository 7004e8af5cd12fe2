import type { Request, Response } from 'express';

export type FlashCategory = 'success' | 'info' | 'warning' | 'danger';

/** A message shown once on the next rendered page; `key` is translated at render time. */
export interface Flash {
  category: FlashCategory;
  key: string;
  args?: Record<string, string | number>;
}

const FLASH_COOKIE = 'mb_flash';

function read(req: Request): Flash[] {
  const raw = (req.signedCookies as Record<string, unknown>)[FLASH_COOKIE];
  if (typeof raw !== 'string') {
    return [];
  }
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as Flash[]) : [];
  } catch {
    return [];
  }
}

/** Queues a flash message in a signed cookie so it survives the redirect that follows. */
export function flash(req: Request, res: Response, message: Flash): void {
  const pending = [...read(req), message].slice(-5);
  (req.signedCookies as Record<string, string>)[FLASH_COOKIE] = JSON.stringify(pending);
  res.cookie(FLASH_COOKIE, JSON.stringify(pending), {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
  });
}

/** Takes the pending messages; they are shown once. */
export function consumeFlashes(req: Request, res: Response): Flash[] {
  const pending = read(req);
  if (pending.length > 0) {
    res.clearCookie(FLASH_COOKIE, { path: '/' });
  }
  return pending;
}
