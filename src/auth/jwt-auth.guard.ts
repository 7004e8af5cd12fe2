import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC } from './decorators';

/**
 * Global guard: every route needs a logged-in user unless marked @Public(). On public routes
 * a valid token still attaches the user (the navbar shows who is logged in).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  private isPublic(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ]) ?? false
    );
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
    if (this.isPublic(context)) {
      return undefined as TUser;
    }
    throw err instanceof Error && !(err instanceof UnauthorizedException)
      ? err
      : new UnauthorizedException('errors.login_required');
  }
}
