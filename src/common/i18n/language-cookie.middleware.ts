import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { I18nContext, I18nService } from 'nestjs-i18n';
import { LANGUAGE_COOKIE } from './languages';
import { resolveLanguage } from './resolve-language';

type I18nRequest = Request & { i18nLang?: unknown; i18nContext?: I18nContext };

/**
 * Decides the request's language from the supported ones only, and remembers a language picked
 * with ?lang= (the footer switcher) for later visits. nestjs-i18n's own resolvers hand back any
 * ?lang= or cookie value as it is ("!", "*", an array), which Intl refuses with a RangeError:
 * what they decided is replaced here, before anything renders.
 */
@Injectable()
export class LanguageCookieMiddleware implements NestMiddleware {
  constructor(private readonly i18n: I18nService) {}

  use(req: I18nRequest, res: Response, next: NextFunction): void {
    const cookies = (req.cookies ?? {}) as Record<string, unknown>;
    const query: unknown = req.query.lang;
    const lang = resolveLanguage({
      query,
      cookie: cookies[LANGUAGE_COOKIE],
      acceptLanguage: req.headers['accept-language'],
    });
    req.i18nLang = lang;
    req.i18nContext = new I18nContext(lang, this.i18n);
    if (query === lang && cookies[LANGUAGE_COOKIE] !== lang) {
      res.cookie(LANGUAGE_COOKIE, lang, {
        maxAge: 365 * 24 * 3600 * 1000,
        sameSite: 'lax',
        httpOnly: true,
        path: '/',
      });
    }
    next();
  }
}
