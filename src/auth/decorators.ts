import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
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

/** The server-side session the request's token names. */
export interface AuthSession {
  id: string;
  userId: number;
}

const SESSION = Symbol('authSession');
type WithSession = Request & { [SESSION]?: AuthSession };

/** Called by the JWT strategies once the token and its session check out. */
export function attachSession(req: Request, session: AuthSession): void {
  (req as WithSession)[SESSION] = session;
}

export function sessionOf(req: Request): AuthSession | undefined {
  return (req as WithSession)[SESSION];
}

/** The session of the logged-in user; undefined for anonymous visitors of public routes. */
export const CurrentSession = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): AuthSession | undefined =>
    sessionOf(ctx.switchToHttp().getRequest<Request>()),
);
