import type { Request } from 'express';

/** The notifications feed (the tutorial's JSON) and its event stream. */
const NOTIFICATION_FEEDS = new Set(['/notifications', '/notifications/', '/notifications/stream']);

/**
 * JSON routes: the API, the notifications feed and stream, and any caller that prefers JSON to
 * HTML. The notification center and its preferences form under /notifications are pages.
 */
export function wantsJson(req: Request): boolean {
  const path = req.path;
  if (
    path.startsWith('/api/') ||
    path === '/api' ||
    NOTIFICATION_FEEDS.has(path) ||
    path === '/health'
  ) {
    return true;
  }
  return req.accepts(['html', 'json']) === 'json';
}
