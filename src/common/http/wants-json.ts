import type { Request } from 'express';

/** JSON routes: the API, the notifications feed, and any caller that prefers JSON to HTML. */
export function wantsJson(req: Request): boolean {
  const path = req.path;
  if (
    path.startsWith('/api/') ||
    path === '/api' ||
    path.startsWith('/notifications') ||
    path === '/health'
  ) {
    return true;
  }
  return req.accepts(['html', 'json']) === 'json';
}
