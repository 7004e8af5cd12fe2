import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/**
 * Pages and JSON are private by default: they carry the user's data, a CSRF token or an unread
 * count, so no browser or proxy cache keeps them (the back button after logout shows nothing).
 * A route that is public and cacheable sets its own Cache-Control (avatars); static files are
 * served before this runs.
 */
@Injectable()
export class NoStoreMiddleware implements NestMiddleware {
  use(_req: Request, res: Response, next: NextFunction): void {
    res.setHeader('Cache-Control', 'no-store');
    next();
  }
}
