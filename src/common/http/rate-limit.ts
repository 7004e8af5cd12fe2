import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { SkipThrottle, ThrottlerException, ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { Response } from 'express';

/** The named limits configured in AppModule; each route opts into exactly one. */
export const RATE_LIMITS = ['login', 'send'] as const;
export type RateLimitName = (typeof RATE_LIMITS)[number];

/** Throttler guard that answers 429 with a standard Retry-After header and a readable message. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    context
      .switchToHttp()
      .getResponse<Response>()
      .setHeader('Retry-After', detail.timeToBlockExpire);
    throw new ThrottlerException('errors.too_many_requests');
  }
}

/** Limits a route by client address with the named limit (e.g. login attempts per minute). */
export function RateLimit(name: RateLimitName) {
  const others = Object.fromEntries(RATE_LIMITS.filter((n) => n !== name).map((n) => [n, true]));
  return applyDecorators(SkipThrottle(others), UseGuards(RateLimitGuard));
}
