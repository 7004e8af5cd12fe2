import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { I18nService } from 'nestjs-i18n';
import { STATUS_CODES } from 'node:http';
import { isError } from '../is-error';
import { isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_S } from './database-unavailable';
import { wantsJson } from './wants-json';

interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}

interface ErrorReply {
  /** The JSON answer, for API clients. */
  body: ErrorBody;
  /**
   * What the error page says about this error: our own message, translated. The framework's
   * English ("Cannot GET /nope", "Forbidden resource") stays out of the page, which shows its
   * translated generic text instead.
   */
  detail: string | null;
}

/** The 4xx status of an http-errors error (what body-parser throws), or null. */
function httpErrorStatus(exception: unknown): number | null {
  if (exception instanceof HttpException || !isError(exception)) {
    return null;
  }
  const { status, expose } = exception as Error & { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true
    ? status
    : null;
}

/** Our own messages are i18n keys ("errors.csrf"); anything else is passed on as it is. */
function isMessageKey(message: string): boolean {
  return /^[a-z_]+\.[a-z0-9_.]+$/.test(message);
}

const KNOWN_PAGES = new Set([400, 401, 403, 404, 413, 429, 503]);

/**
 * One place for errors: JSON ({statusCode, message, error}) for JSON routes, a friendly page
 * for people, a redirect to the login page for anonymous visitors of protected pages.
 * Unknown errors are logged and answered with a generic 500: no stack trace leaves the server.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  constructor(private readonly i18n: I18nService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const lang = (req as Request & { i18nLang?: string }).i18nLang ?? 'en';
    const { body, detail } = this.toReply(exception, lang);

    if (res.headersSent) {
      res.end();
      return;
    }
    if (body.statusCode === Number(HttpStatus.SERVICE_UNAVAILABLE)) {
      res.setHeader('Retry-After', UNAVAILABLE_RETRY_AFTER_S);
    }
    if (wantsJson(req)) {
      res.status(body.statusCode).json(body);
      return;
    }
    if (body.statusCode === Number(HttpStatus.UNAUTHORIZED)) {
      const next = req.method === 'GET' ? req.originalUrl : req.path;
      res.redirect(302, `/auth/login?next=${encodeURIComponent(next)}`);
      return;
    }
    const page = KNOWN_PAGES.has(body.statusCode) ? body.statusCode : 500;
    res.status(body.statusCode).render('errors/error', {
      statusCode: body.statusCode,
      headingKey: `errors.heading_${page}`,
      titleKey: `errors.title_${page}`,
      detail: page !== 500 ? detail : null,
      // The page answering a form post (a refused logout) has no GET twin to show in another
      // language: the footer's language links lead home.
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { languageLinkBase: '/?' }),
    });
  }

  private toReply(exception: unknown, lang: string): ErrorReply {
    const clientError = httpErrorStatus(exception);
    if (clientError) {
      // Raised before routing by Express middleware (body-parser: 413, malformed JSON: 400).
      const error = STATUS_CODES[clientError] ?? 'Error';
      return {
        body: { statusCode: clientError, message: (exception as Error).message, error },
        detail: null,
      };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable: ${(exception as Error).message}`);
      const message = this.i18n.t('errors.title_503', { lang });
      return { body: { statusCode: 503, message, error: 'Service Unavailable' }, detail: null };
    }
    if (!(exception instanceof HttpException)) {
      this.logger.error(isError(exception) ? exception.stack : String(exception));
      const message = this.i18n.t('errors.title_500', { lang });
      return { body: { statusCode: 500, message, error: 'Internal Server Error' }, detail: null };
    }
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const raw =
      typeof response === 'string'
        ? response
        : ((response as { message?: string | string[] }).message ?? exception.message);
    const detail: string | null =
      typeof raw === 'string' && isMessageKey(raw) ? this.i18n.t(raw, { lang }) : null;
    const error =
      (typeof response === 'object' && (response as { error?: string }).error) ||
      exception.name.replace(/Exception$/, '').replace(/([a-z])([A-Z])/g, '$1 $2');
    if (statusCode >= 500) {
      this.logger.error(exception.stack);
    }
    return { body: { statusCode, message: detail ?? raw, error }, detail };
  }
}
