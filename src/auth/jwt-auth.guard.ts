import { ExecutionContext, Injectable, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { IS_PUBLIC } from './decorators';
import { skipLastSeen } from './jwt.strategy';
import { isError } from '../common/is-error';

export const SKIP_LAST_SEEN = 'skipLastSeen';

/**
 * The route is no visit: its valid token leaves the user's last_seen as it is. For the event
 * stream, which the browser reopens by itself; the page that opened it was the visit.
 */
export const SkipLastSeen = () => SetMetadata(SKIP_LAST_SEEN, true);

/**
 * Global guard: every route needs a logged-in user unless marked @Public(). On public routes
 * a valid token still attaches the user (the navbar shows who is logged in).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(
    context: ExecutionContext,
  ): Promise<boolean> | boolean | Observable<boolean> {
    if (this.flag(SKIP_LAST_SEEN, context)) {
      skipLastSeen(context.switchToHttp().getRequest<Request>());
    }
    return super.canActivate(context);
  }

  override handleRequest<TUser>(
    err: unknown,
    user: TUser | false,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (user) {
      return user;
    }
    if (this.flag(IS_PUBLIC, context)) {
      return undefined as TUser;
    }
    throw isError(err) && !(err instanceof UnauthorizedException)
      ? err
      : new UnauthorizedException('errors.login_required');
  }

  private flag(key: string, context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean>(key, [context.getHandler(), context.getClass()]) ??
      false
    );
  }
}
