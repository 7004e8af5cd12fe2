import { applyDecorators, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { BearerAuthGuard, RolesGuard } from '../auth/bearer-auth.guard';
import { Public, Roles } from '../auth/decorators';
import { ErrorDto } from '../common/api/error.dto';
import { SkipCsrf } from '../common/csrf/csrf.guard';
import { Role } from '../users/user.entity';

/**
 * An admin JSON controller: a bearer token of an admin, nothing else. The browser's cookie
 * is not read (the global cookie guard is bypassed with @Public), so CSRF can't reach it.
 */
export function AdminApi(tag: string) {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ type: ErrorDto, description: 'Missing, invalid or expired token' }),
    ApiForbiddenResponse({ type: ErrorDto, description: "The token is not an admin's" }),
    Public(),
    SkipCsrf(),
    UseGuards(BearerAuthGuard, RolesGuard),
    Roles(Role.Admin),
  );
}
