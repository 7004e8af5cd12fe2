import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { Role, User } from '../users/user.entity';
import { ROLES } from './decorators';
import { isError } from '../common/is-error';

/** 401 unless `Authorization: Bearer` carries a valid token of an enabled user. */
@Injectable()
export class BearerAuthGuard extends AuthGuard('jwt-bearer') {
  override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
    if (isError(err) && !(err instanceof UnauthorizedException)) {
      throw err;
    }
    if (!user) {
      throw new UnauthorizedException('errors.bearer_required');
    }
    return user;
  }
}

/** 403 unless the user has one of the roles the route names with @Roles(). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    const user = context.switchToHttp().getRequest<Request>().user as User | undefined;
    if (!roles || (user && roles.includes(user.role))) {
      return true;
    }
    throw new ForbiddenException('errors.admin_only');
  }
}
