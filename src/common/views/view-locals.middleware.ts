import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { User } from '../../users/user.entity';
import { CsrfService } from '../csrf/csrf.service';
import { LANGUAGES } from '../i18n/languages';
import { consumeFlashes } from './flash';

/**
 * What every page's layout needs (current user, CSRF token, flashes, language). It is filled
 * in when a page is actually rendered, not when the request starts: the user is known only
 * after the auth guard, and flashes must survive redirects that render nothing.
 */
@Injectable()
export class ViewLocalsMiddleware implements NestMiddleware {
  constructor(private readonly csrf: CsrfService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    this.csrf.ensureSessionId(req, res);
    const render = res.render.bind(res) as (view: string, ...args: unknown[]) => void;
    res.render = (view: string, ...rest: unknown[]) => {
      Object.assign(res.locals, this.layoutLocals(req, res));
      render(view, ...rest);
    };
    next();
  }

  private layoutLocals(req: Request, res: Response): Record<string, unknown> {
    const user = req.user as User | undefined;
    const lang = (req as Request & { i18nLang?: string }).i18nLang ?? 'en';
    return {
      // Per response: nestjs-i18n also writes app.locals.i18nLang, shared by all requests.
      i18nLang: lang,
      languages: LANGUAGES.map((l) => ({ ...l, active: l.code === lang })),
      currentPath: req.path,
      currentUser: user ? { id: user.id, username: user.username, role: user.role } : null,
      csrfToken: this.csrf.token(req, res),
      flashes: consumeFlashes(req, res),
    };
  }
}
