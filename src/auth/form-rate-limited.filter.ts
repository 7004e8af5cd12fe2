import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimitedException } from '../common/http/rate-limit';

/** What a form page shows when sent back: the fields to keep, and anything else it needs. */
export type FormPageModel = (req: Request) => Record<string, unknown>;

/** A field of the submitted form, as typed (never a password), or '' for anything else. */
export function submittedText(req: Request, field: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : '';
}

/**
 * A form refused by its rate limit: the same page again with what was typed and the reason
 * at the top (429, Retry-After set by the guard), instead of the generic error page, whose
 * "wait a minute" does not fit the hourly limits of these forms.
 */
@Catch(RateLimitedException)
export class FormRateLimitedFilter implements ExceptionFilter {
  constructor(
    private readonly view: string,
    private readonly model: FormPageModel,
  ) {}

  catch(_: RateLimitedException, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(HttpStatus.TOO_MANY_REQUESTS)
      .render(this.view, { ...this.model(req), formError: 'account.too_many_requests' });
  }
}
