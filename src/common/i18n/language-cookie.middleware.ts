import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isLanguage, LANGUAGE_COOKIE } from './languages';

/** Remembers a language picked with ?lang= (the footer switcher) for later visits. */
@Injectable()
export class LanguageCookieMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const lang = req.query.lang;
    if (isLanguage(lang) && (req.cookies as Record<string, string>)[LANGUAGE_COOKIE] !== lang) {
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
