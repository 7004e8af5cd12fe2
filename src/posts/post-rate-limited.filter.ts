import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimitedException } from '../common/http/rate-limit';
import { POST_MAX } from './post.entity';

/**
 * A post refused by the rate limit: the form again with what was typed, and the reason once,
 * at the top (429, Retry-After set by the guard). Nothing was stored.
 */
@Catch(RateLimitedException)
export class PostRateLimitedFilter implements ExceptionFilter {
  catch(_: RateLimitedException, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const draft = (req.body as { post?: unknown } | undefined)?.post;
    res.status(HttpStatus.TOO_MANY_REQUESTS).render('posts/form', {
      form: { post: typeof draft === 'string' ? draft : '' },
      formError: 'errors.too_many_requests',
      max: POST_MAX,
    });
  }
}
