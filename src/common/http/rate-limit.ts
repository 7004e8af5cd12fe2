import { applyDecorators, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import {
  SkipThrottle,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerOptions,
} from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { Response } from 'express';
import { createHash } from 'node:crypto';
import type { AppConfig } from '../../config/app.config';

/**
 * The named limits. A route opts into some of them with @RateLimit(); each name is one bucket
 * per tracker shared by every route that uses it (the login form and the API token endpoint
 * count together), not a bucket per route.
 */
export const RATE_LIMITS = [
  'login',
  'register',
  'send',
  'send-address',
  'password-reset',
  'password-reset-account',
  'email-change',
  'confirmation-resend',
] as const;
export type RateLimitName = (typeof RATE_LIMITS)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The client address (behind TRUST_PROXY, the forwarded one Express computed). */
const byAddress = (req: Record<string, unknown>) => `ip:${String(req.ip)}`;
/** The logged-in user, so people behind one NAT don't share a bucket; else the address. */
const byUser = (req: Record<string, unknown>) => {
  const user = req.user as { id?: number } | undefined;
  return user?.id ? `user:${user.id}` : byAddress(req);
};
/**
 * The email address a form names (trimmed, lower-cased, hashed to bound the key): one bucket per
 * address whoever sends it, so one mailbox can't be flooded from many client addresses. A form
 * without one counts against its client address.
 */
const bySubmittedEmail = (req: Record<string, unknown>) => {
  const email = (req.body as Record<string, unknown> | undefined)?.email;
  if (typeof email !== 'string') {
    return byAddress(req);
  }
  return `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex')}`;
};
const sharedKey = (_: ExecutionContext, tracker: string, name: string) => `${name}:${tracker}`;

/** The throttlers behind the names, from the validated app config. */
export function rateLimitThrottlers(app: AppConfig): ThrottlerOptions[] {
  const limit = (name: RateLimitName, ttl: number, max: number, getTracker = byAddress) => ({
    name,
    ttl,
    limit: max,
    getTracker,
    generateKey: sharedKey,
  });
  return [
    limit('login', MINUTE_MS, app.loginRateLimit),
    limit('register', HOUR_MS, app.registerRateLimit),
    limit('send', MINUTE_MS, app.sendRateLimit, byUser),
    limit('send-address', MINUTE_MS, app.sendAddressRateLimit),
    limit('password-reset', HOUR_MS, app.passwordResetRateLimit),
    limit('password-reset-account', HOUR_MS, app.passwordResetAccountRateLimit, bySubmittedEmail),
    limit('email-change', HOUR_MS, app.emailChangeRateLimit),
    limit('confirmation-resend', HOUR_MS, app.confirmationResendRateLimit, byUser),
  ];
}

/** The refusal, for routes that answer it their own way (the send form keeps the draft). */
export class RateLimitedException extends ThrottlerException {
  constructor() {
    super('errors.too_many_requests');
  }
}

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
    throw new RateLimitedException();
  }
}

/** Limits a route with the named limits (e.g. login attempts per address per minute). */
export function RateLimit(...names: RateLimitName[]) {
  const others = Object.fromEntries(
    RATE_LIMITS.filter((n) => !names.includes(n)).map((n) => [n, true]),
  );
  return applyDecorators(SkipThrottle(others), UseGuards(RateLimitGuard));
}
