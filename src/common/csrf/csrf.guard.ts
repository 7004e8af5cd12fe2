import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { CsrfService } from './csrf.service';

const SKIP_CSRF = 'skipCsrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** For routes that never read the auth cookie (bearer-token JSON API): nothing to forge. */
export const SkipCsrf = () => SetMetadata(SKIP_CSRF, true);

@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(
    private readonly csrf: CsrfService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) {
      return true;
    }
    const skip = this.reflector.getAllAndOverride<boolean>(SKIP_CSRF, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip) {
      return true;
    }
    // A browser says when a form comes from another site: refused whatever token it carries.
    if (req.headers['sec-fetch-site'] !== 'cross-site' && this.csrf.isValid(req)) {
      return true;
    }
    throw new ForbiddenException('errors.csrf');
  }
}
