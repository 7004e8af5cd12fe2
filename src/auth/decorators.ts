import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { AuthSession, sessionOf } from '../common/http/auth-session';
import type { Role, User } from '../users/user.entity';

export const IS_PUBLIC = 'isPublic';
export const ROLES = 'roles';

/** Open to anonymous visitors; the user is still attached when a valid token comes along. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);

/** The logged-in user, loaded from the database by the JWT strategy. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): User | undefined =>
    ctx.switchToHttp().getRequest<Request>().user as User | undefined,
);

export type { AuthSession } from '../common/http/auth-session';
export { attachSession, sessionOf } from '../common/http/auth-session';

/** The session of the logged-in user; undefined for anonymous visitors of public routes. */
export const CurrentSession = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthSession | undefined =>
    sessionOf(ctx.switchToHttp().getRequest<Request>()),
);
