import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { User } from '../../users/user.entity';
import { CsrfService } from '../csrf/csrf.service';
import { isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_S } from '../http/database-unavailable';
import { sameSitePath } from '../http/safe-redirect';
import { languageLinkBase } from '../i18n/language-links';
import { LANGUAGES, supportedLanguage } from '../i18n/languages';
import { consumeFlashes } from './flash';
import { LayoutLocalsService } from './layout-locals.service';

/**
 * What every page's layout needs (current user, CSRF token, flashes, language, the features'
 * own parts such as the unread badge). It is filled in when a page is actually rendered, not
 * when the request starts: the user is known only after the auth guard, and flashes must
 * survive redirects that render nothing.
 */
@Injectable()
export class ViewLocalsMiddleware implements NestMiddleware {
  private readonly logger = new Logger(ViewLocalsMiddleware.name);

  constructor(
    private readonly csrf: CsrfService,
    private readonly layout: LayoutLocalsService,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    this.csrf.ensureSessionId(req, res);
    const render = res.render.bind(res) as (view: string, ...args: unknown[]) => void;
    res.render = (view: string, ...rest: unknown[]) => {
      this.layoutLocals(req, res).then(
        (locals) => {
          Object.assign(res.locals, locals);
          render(view, ...rest);
        },
        (error: unknown) => {
          if (isDatabaseUnavailable(error)) {
            this.logger.warn(`Database unavailable: ${(error as Error).message}`);
            res
              .status(503)
              .set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S))
              .type('text/plain');
            res.send('Service Unavailable: please try again in a few seconds.');
            return;
          }
          this.logger.error(error instanceof Error ? error.stack : String(error));
          res.status(500).type('text/plain').send('Internal Server Error');
        },
      );
    };
    next();
  }

  private async layoutLocals(req: Request, res: Response): Promise<Record<string, unknown>> {
    const user = req.user as User | undefined;
    const lang = supportedLanguage((req as Request & { i18nLang?: unknown }).i18nLang);
    return {
      // Per response: nestjs-i18n also writes app.locals.i18nLang, shared by all requests.
      i18nLang: lang,
      languages: LANGUAGES.map((l) => ({ ...l, active: l.code === lang })),
      languageLinkBase: languageLinkBase(req.originalUrl),
      // Where a form on the page comes back to (its hidden `next`).
      currentPath: sameSitePath(req.originalUrl) ?? '/',
      currentUser: user ? { id: user.id, username: user.username, role: user.role } : null,
      // A request no route matched (the browser's own /favicon.ico among them) never met the
      // auth guard: a token made now would be bound to the anonymous browser id and replace
      // the logged-in user's cookie, expiring the forms of every open tab. Such a page has no
      // form anyway.
      csrfToken: !user && res.statusCode === 404 ? '' : this.csrf.token(req, res),
      flashes: consumeFlashes(req, res),
      ...(user ? await this.layout.forUser(user) : {}),
    };
  }
}
